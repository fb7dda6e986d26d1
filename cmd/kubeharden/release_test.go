package main

import (
	"bufio"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestRelease runs `make release`'s script as CI would: six static binaries (linux, darwin,
// windows on amd64 and arm64) with the version stamped, their krew archives, checksums that
// verify, and a krew manifest with every placeholder filled. The host's binary, named as the
// kubectl plugin, runs and names itself "kubectl harden". On a cold build cache each target
// costs about 7 CPU-minutes (docs/performance.md), too much for every `make test`: it runs
// with KUBEHARDEN_RELEASE_TEST=1, which `make release-test` sets.
func TestRelease(t *testing.T) {
	if os.Getenv("KUBEHARDEN_RELEASE_TEST") != "1" {
		t.Skip("builds six binaries (~7 CPU-minutes each when cold); set KUBEHARDEN_RELEASE_TEST=1 or run make release-test")
	}
	dist := t.TempDir()
	const version = "v9.8.7-test"
	start := time.Now()
	cmd := exec.Command("bash", "hack/release.sh")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "DIST="+dist, "VERSION="+version)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release: %v\n%s", err, out)
	}
	t.Logf("six release builds in %s", time.Since(start).Round(time.Second))

	sums := map[string]string{}
	f, err := os.Open(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, _ := strings.Cut(sc.Text(), "  ")
		sums[name] = sum
	}
	f.Close()
	for _, p := range []struct{ os, arch string }{
		{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}, {"windows", "arm64"},
	} {
		name := "kubeharden-" + version + "-" + p.os + "-" + p.arch
		if p.os == "windows" {
			name += ".exe"
		}
		path := filepath.Join(dist, name)
		if got := machine(t, path, p.os); got != p.arch {
			t.Errorf("%s: built for %q, want %s", name, got, p.arch)
		}
		for _, file := range []string{name, "kubectl-harden-" + version + "-" + p.os + "-" + p.arch + ".tar.gz"} {
			b, err := os.ReadFile(filepath.Join(dist, file))
			if err != nil {
				t.Error(err)
				continue
			}
			h := sha256.Sum256(b)
			if sums[file] != hex.EncodeToString(h[:]) {
				t.Errorf("SHA256SUMS for %s is %q, want %x", file, sums[file], h)
			}
		}
	}
	manifest, err := os.ReadFile(filepath.Join(dist, "harden.yaml"))
	if err != nil || strings.Contains(string(manifest), "{{") || !strings.Contains(string(manifest), "version: "+version) {
		t.Errorf("krew manifest not filled in (%v):\n%s", err, manifest)
	}

	// The host's binary: static, stamped, and a kubectl plugin when named so.
	host := filepath.Join(dist, "kubeharden-"+version+"-"+runtime.GOOS+"-"+runtime.GOARCH)
	if runtime.GOOS == "windows" {
		host += ".exe"
	}
	plugin := filepath.Join(t.TempDir(), "kubectl-harden")
	b, _ := os.ReadFile(host)
	if err := os.WriteFile(plugin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(plugin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "kubeharden "+version+" ") {
		t.Errorf("--version: %v: %s", err, out)
	}
	out, _ = exec.Command(plugin, "scan", "--help").CombinedOutput()
	if !strings.Contains(string(out), "kubectl harden scan [PATH|-]") {
		t.Errorf("as kubectl-harden, help should say kubectl harden:\n%s", out)
	}
	if runtime.GOOS == "linux" {
		if ef, err := elf.Open(host); err == nil {
			for _, p := range ef.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("%s is dynamically linked", host)
				}
			}
			ef.Close()
		}
	}
}

// machine is the architecture a binary was built for, from its headers.
func machine(t *testing.T, path, goos string) string {
	t.Helper()
	switch goos {
	case "linux":
		f, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[f.Machine]
	case "darwin":
		f, err := macho.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64"}[f.Cpu]
	case "windows":
		f, err := pe.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_ARM64: "arm64"}[f.Machine]
	}
	return ""
}
