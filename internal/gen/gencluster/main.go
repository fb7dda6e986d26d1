// Command gencluster writes a generated cluster (package gen) for benchmarks by hand:
//
//	go run ./internal/gen/gencluster -n 10000 -o /tmp/cluster       # one file per namespace
//	go run ./internal/gen/gencluster -n 1000 -o - > cluster.yaml     # one stream
//	go run ./internal/gen/gencluster -n 1000 -list -o - > dump.yaml  # one List, as kubectl get -o yaml
//	go run ./internal/gen/gencluster -n 10000 -profile multitenant -o - > mt.yaml
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/kubeharden/kubeharden/internal/gen"
	"sigs.k8s.io/yaml"
)

func main() {
	n := flag.Int("n", 1000, "number of workloads")
	seed := flag.Int64("seed", 1, "random seed")
	out := flag.String("o", "", "directory to write, or - for standard output")
	list := flag.Bool("list", false, "with -o -: write one List document instead of a stream")
	profile := flag.String("profile", "default", "the mix of objects: default or multitenant")
	flag.Parse()
	opt := gen.Options{Profile: *profile}
	err := opt.Valid()
	if err == nil {
		err = run(opt, *n, *seed, *out, *list)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencluster:", err)
		os.Exit(1)
	}
}

func run(opt gen.Options, n int, seed int64, out string, list bool) error {
	switch {
	case out == "":
		return fmt.Errorf("-o DIR or -o - is required")
	case out != "-":
		files, err := opt.WriteDir(out, n, seed)
		if err == nil {
			fmt.Fprintf(os.Stderr, "wrote %d files to %s\n", len(files), out)
		}
		return err
	case list:
		b, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": opt.Objects(n, seed)})
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(b)
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	if err := opt.WriteYAML(w, n, seed); err != nil {
		return err
	}
	return w.Flush()
}
