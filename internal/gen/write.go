package gen

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// WriteYAML writes the cluster of Objects(n, seed) as one multi-document YAML stream.
func WriteYAML(w io.Writer, n int, seed int64) error {
	return Options{}.WriteYAML(w, n, seed)
}

// WriteYAML is WriteYAML for the options' profile.
func (o Options) WriteYAML(w io.Writer, n int, seed int64) error {
	bw := bufio.NewWriter(w)
	if err := writeDocs(bw, o.Objects(n, seed)); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteDir writes the cluster into dir (created if needed) as kubectl users keep manifests:
// one file per namespace, <namespace>.yaml, starting with its Namespace object, and
// cluster.yaml for the cluster-scoped objects. It returns the files written, in order.
func WriteDir(dir string, n int, seed int64) ([]string, error) {
	return Options{}.WriteDir(dir, n, seed)
}

// WriteDir is WriteDir for the options' profile.
func (o Options) WriteDir(dir string, n int, seed int64) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for _, ns := range o.Namespaces(n, seed) {
		name := ns.Name + ".yaml"
		if ns.Name == "" {
			name = "cluster.yaml"
		}
		path := filepath.Join(dir, name)
		if err := writeFile(path, ns.Objects); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

func writeFile(path string, objs []runtime.Object) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = writeDocs(bw, objs)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeDocs(w io.Writer, objs []runtime.Object) error {
	for i, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			return fmt.Errorf("gen: %T: %w", o, err)
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
