package load

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/gen"
)

// Benchmarks read a generated cluster (internal/gen, seed 1) written as one file per
// namespace, at 100, 1,000 and 10,000 workloads (about 2.3 objects each).
var benchSizes = []int{100, 1000, 10000}

var (
	benchMu   sync.Mutex
	benchDirs = map[int]string{}
	benchRoot string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchRoot != "" {
		os.RemoveAll(benchRoot)
	}
	os.Exit(code)
}

// benchCluster writes the cluster of n workloads once per test binary.
func benchCluster(b testing.TB, n int) string {
	benchMu.Lock()
	defer benchMu.Unlock()
	if d, ok := benchDirs[n]; ok {
		return d
	}
	if benchRoot == "" {
		r, err := os.MkdirTemp("", "kubeharden-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchRoot = r
	}
	d := filepath.Join(benchRoot, strconv.Itoa(n))
	if _, err := gen.WriteDir(d, n, 1); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	benchDirs[n] = d
	return d
}

func benchFiles(b *testing.B, dir string) ([]string, int64) {
	var files []string
	var size int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		files = append(files, filepath.Join(dir, e.Name()))
		fi, _ := e.Info()
		size += fi.Size()
	}
	return files, size
}

// BenchmarkDecodeBaseline is the bare cost of turning the YAML into typed objects the way
// kubectl does, in one goroutine: split documents, sigs.k8s.io/yaml to JSON, decode into
// the scheme's type. No positions, no errors beyond the first, no lists.
func BenchmarkDecodeBaseline(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			files, size := benchFiles(b, benchCluster(b, n))
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchmetric.CPUTime()
			for i := 0; i < b.N; i++ {
				objs := 0
				for _, f := range files {
					objs += baselineFile(b, f)
				}
				b.ReportMetric(float64(objs), "objects")
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

func baselineFile(b *testing.B, file string) int {
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	r := yamlutil.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	n := 0
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		j, err := sigsyaml.YAMLToJSON(doc)
		if err != nil {
			b.Fatal(err)
		}
		var tm metav1.TypeMeta
		if err := kjson.UnmarshalCaseSensitivePreserveInts(j, &tm); err != nil {
			b.Fatal(err)
		}
		obj, err := scheme.Scheme.New(schema.FromAPIVersionAndKind(tm.APIVersion, tm.Kind))
		if err != nil {
			obj = &unstructured.Unstructured{}
		}
		if err := kjson.UnmarshalCaseSensitivePreserveInts(j, obj); err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchmarkDecode is the loader's Decode on the same files in one goroutine: the baseline's
// work plus strict field checks and a line for every field. reader=yaml.v3 turns the fast
// reader off (every document through yaml.v3 and conv), to show what it saves.
func BenchmarkDecode(b *testing.B) {
	for _, n := range benchSizes {
		for _, reader := range []string{"fast", "yaml.v3"} {
			b.Run(fmt.Sprintf("workloads=%d/reader=%s", n, reader), func(b *testing.B) {
				defer func(on bool) { fastPath = on }(fastPath)
				fastPath = reader == "fast"
				benchDecode(b, n)
			})
		}
	}
}

func benchDecode(b *testing.B, n int) {
	files, size := benchFiles(b, benchCluster(b, n))
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchmetric.CPUTime()
	for i := 0; i < b.N; i++ {
		objs := 0
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			o, errs := Decode(f, data)
			if len(errs) > 0 {
				b.Fatal(errs[0])
			}
			objs += len(o)
		}
		b.ReportMetric(float64(objs), "objects")
	}
	b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkFiles is Files on the directory: the walk plus Decode on every core. It reports
// the process's peak resident memory for one load (Linux only).
func BenchmarkFiles(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			dir := benchCluster(b, n)
			_, size := benchFiles(b, dir)
			peak := benchmetric.PeakRSS(func() {
				if _, errs := Files([]string{dir}, Options{}); len(errs) > 0 {
					b.Fatal(errs[0])
				}
			})
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchmetric.CPUTime()
			for i := 0; i < b.N; i++ {
				objs, errs := Files([]string{dir}, Options{})
				if len(errs) > 0 {
					b.Fatal(errs[0])
				}
				b.ReportMetric(float64(len(objs)), "objects")
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			if peak > 0 {
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			}
		})
	}
}

// BenchmarkDecodeList reads the 1,000-workload cluster as one `kubectl get -o yaml` (or
// -o json) dump: a single List document of about 2,300 items.
func BenchmarkDecodeList(b *testing.B) {
	for _, format := range []string{"yaml", "json"} {
		b.Run("format="+format, func(b *testing.B) {
			data := listDump(b, 1000, format)
			var objs int
			peak := benchmetric.PeakRSS(func() {
				o, errs := Decode("dump."+format, data)
				if len(errs) > 0 {
					b.Fatal(errs[0])
				}
				objs = len(o)
			})
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Decode("dump."+format, data)
			}
			b.ReportMetric(float64(objs), "objects")
			if peak > 0 {
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			}
		})
	}
}

var dumps = map[string][]byte{}

func listDump(b *testing.B, n int, format string) []byte {
	benchMu.Lock()
	defer benchMu.Unlock()
	key := fmt.Sprint(n, format)
	if d, ok := dumps[key]; ok {
		return d
	}
	list := map[string]any{"apiVersion": "v1", "kind": "List", "items": gen.Objects(n, 1)}
	var data []byte
	var err error
	if format == "json" {
		data, err = json.MarshalIndent(list, "", "    ")
	} else {
		data, err = sigsyaml.Marshal(list)
	}
	if err != nil {
		b.Fatal(err)
	}
	dumps[key] = data
	return data
}

// BenchmarkOneFile reads a generated multitenant cluster written as one file (a cluster
// dump, as `gencluster -o -` writes it) at 1,000 and 10,000 workloads: cores=all decodes its
// documents on every core (parallel.go), cores=1 one after the other.
func BenchmarkOneFile(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		var buf bytes.Buffer
		if err := (gen.Options{Profile: "multitenant"}).WriteYAML(&buf, n, 1); err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		for _, cores := range []string{"all", "1"} {
			b.Run(fmt.Sprintf("workloads=%d/cores=%s", n, cores), func(b *testing.B) {
				defer func(m int) { parallelMin = m }(parallelMin)
				if cores == "1" {
					parallelMin = len(data) + 1
				}
				runtime.GC()
				peak := benchmetric.PeakRSS(func() { Decode("cluster.yaml", data) })
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				b.ResetTimer()
				cpu := benchmetric.CPUTime()
				for i := 0; i < b.N; i++ {
					objs, errs := Decode("cluster.yaml", data)
					if len(errs) > 0 {
						b.Fatal(errs[0])
					}
					b.ReportMetric(float64(len(objs)), "objects")
				}
				b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
				if peak > 0 {
					b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
				}
			})
		}
	}
}

// BenchmarkShare reads the multitenant cluster of BenchmarkOneFile with Files, which shares
// the parts of the objects it loads (share.go), with sharing on and off: what sharing costs
// (cpu-ns/op) and saves (live-MB: the objects' live heap).
func BenchmarkShare(b *testing.B) {
	var buf bytes.Buffer
	if err := (gen.Options{Profile: "multitenant"}).WriteYAML(&buf, 10000, 1); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(b.TempDir(), "cluster.yaml")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, on := range []bool{true, false} {
		b.Run(fmt.Sprintf("sharing=%v", on), func(b *testing.B) {
			defer func(on bool) { sharing = on }(sharing)
			sharing = on
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchmetric.CPUTime()
			var live uint64
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				objs, errs := Files([]string{file}, Options{})
				if len(errs) > 0 {
					b.Fatal(errs[0])
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				live += after.HeapAlloc - before.HeapAlloc
				runtime.KeepAlive(objs)
				b.StartTimer()
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(live)/float64(b.N)/1e6, "live-MB")
		})
	}
}
