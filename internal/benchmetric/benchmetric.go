// Package benchmetric measures what benchmarks report beyond ns/op: CPU time, which moves less
// than wall time on a shared machine, and the process's peak resident memory.
package benchmetric

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPUTime is the process's user and system CPU time so far, in nanoseconds.
func CPUTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// PeakRSS runs f and returns the peak resident set size of the process while it ran, in
// bytes, or 0 where the kernel does not tell (it resets and reads Linux's VmHWM).
func PeakRSS(f func()) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		f()
		return 0
	}
	f()
	return HighWater()
}

// HighWater is the peak resident set size of the process since it started or since PeakRSS
// last reset it, in bytes, or 0 where the kernel does not tell.
func HighWater() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return statusField(status, "VmHWM:")
}

// statusField reads a size in kB from a /proc/PID/status file, in bytes.
func statusField(status []byte, name string) int64 {
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, name); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// RunPeak runs cmd and samples its peak resident memory (VmHWM) every 5 ms until it exits.
// The wait4 rusage cannot be used: Go starts children with vfork, so a child's maxrss
// includes the parent's own peak from before exec.
func RunPeak(cmd *exec.Cmd) (int64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	status := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "status")
	done := make(chan struct{})
	var peak int64
	go func() {
		defer close(done)
		for {
			b, err := os.ReadFile(status)
			if err != nil {
				return
			}
			peak = max(peak, statusField(b, "VmHWM:"))
			if strings.Contains(string(b), "State:\tZ") {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	err := cmd.Wait()
	<-done
	return peak, err
}
