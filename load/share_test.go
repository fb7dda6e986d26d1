package load

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
)

// sharedCluster writes a generated multitenant cluster of n workloads as one file and as a
// directory of one file per namespace, and loads both with sharing on and off. The one file
// is decoded on every core (parallelMin is lowered), so that decoders share concurrently.
func sharedCluster(t *testing.T, n int) (on, off [][]*inventory.Object) {
	t.Helper()
	var buf bytes.Buffer
	if err := (gen.Options{Profile: "multitenant"}).WriteYAML(&buf, n, 1); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(dir, "tree")
	if _, err := gen.WriteDir(tree, n, 1); err != nil {
		t.Fatal(err)
	}
	defer func(m, b int, s bool) { parallelMin, batchSize, sharing = m, b, s }(parallelMin, batchSize, sharing)
	parallelMin, batchSize = 1<<10, 16<<10
	for _, s := range []bool{true, false} {
		sharing = s
		for _, path := range []string{file, tree} {
			objs, errs := Files([]string{path}, Options{})
			if len(errs) > 0 {
				t.Fatal(errs[0])
			}
			if s {
				on = append(on, objs)
			} else {
				off = append(off, objs)
			}
		}
	}
	return on, off
}

// Sharing changes no object: each equals its twin loaded without sharing.
func TestShareKeepsObjects(t *testing.T) {
	on, off := sharedCluster(t, 300)
	for i := range on {
		if len(on[i]) != len(off[i]) || len(on[i]) < 600 {
			t.Fatalf("%d objects shared, %d not", len(on[i]), len(off[i]))
		}
		for j, o := range on[i] {
			w := off[i][j]
			if o.Ref != w.Ref || o.Source != w.Source || !reflect.DeepEqual(o.Obj, w.Obj) || !reflect.DeepEqual(o.Lines, w.Lines) {
				t.Fatalf("%s differs when shared", o.Ref)
			}
		}
	}
}

// identities groups values by equality and counts the distinct addresses of each group.
type identities struct {
	groups map[string][]group
}

type group struct {
	value any
	addrs map[uintptr]bool
}

func (ids *identities) add(kind string, value any, addr uintptr) {
	if ids.groups == nil {
		ids.groups = map[string][]group{}
	}
	b, err := json.Marshal(value)
	if err != nil {
		panic(err)
	}
	key := kind + string(b) // a cheap first cut: equal values marshal equally
	for _, g := range ids.groups[key] {
		if reflect.DeepEqual(g.value, value) {
			g.addrs[addr] = true
			return
		}
	}
	ids.groups[key] = append(ids.groups[key], group{value, map[uintptr]bool{addr: true}})
}

func addr(v any) uintptr { return reflect.ValueOf(v).Pointer() }

// Equal parts are one value: one address for each set of equal resource lists, security
// contexts, probes, ports and labels, across objects and whichever decoder read them.
func TestShareShares(t *testing.T) {
	on, _ := sharedCluster(t, 300)
	for _, objs := range on {
		var ids identities
		counts := map[string]int{}
		add := func(kind string, v any) {
			if reflect.ValueOf(v).IsNil() || reflect.ValueOf(v).Kind() != reflect.Pointer && reflect.ValueOf(v).Len() == 0 {
				return
			}
			counts[kind]++
			ids.add(kind, v, addr(v))
		}
		for _, o := range objs {
			add("labels", o.Labels())
			for _, pt := range o.PodTemplates() {
				add("labels", pt.Meta.Labels)
				add("pod security context", pt.Spec.SecurityContext)
				for _, c := range pt.Spec.Containers {
					add("resource list", c.Resources.Requests)
					add("resource list", c.Resources.Limits)
					add("security context", c.SecurityContext)
					add("probe", c.LivenessProbe)
					add("probe", c.ReadinessProbe)
				}
			}
			if s, ok := o.Obj.(*corev1.Service); ok {
				add("labels", s.Spec.Selector)
				add("service ports", s.Spec.Ports)
			}
		}
		distinct := map[string]int{}
		for key, gs := range ids.groups {
			for _, g := range gs {
				if len(g.addrs) != 1 {
					t.Errorf("%d copies of %s", len(g.addrs), key)
				}
			}
			distinct[key[:bytes.IndexAny([]byte(key), "{[")]] += len(gs)
		}
		for kind, n := range counts {
			// The generated cluster repeats every kind of part: a test that sees only
			// distinct values would prove nothing.
			if distinct[kind] >= n {
				t.Errorf("%s: %d distinct of %d; want a cluster that repeats them", kind, distinct[kind], n)
			}
		}
		if len(counts) != 6 {
			t.Errorf("parts seen: %v", counts)
		}
	}
}

// Equal line tables share their entries: most objects of the generated cluster are
// written alike.
func TestShareLineTables(t *testing.T) {
	on, off := sharedCluster(t, 300)
	for i := range on {
		arrays := func(objs []*inventory.Object) map[uintptr]bool {
			m := map[uintptr]bool{}
			for _, o := range objs {
				// The address of the table's entries (unexported: read through reflect).
				m[reflect.ValueOf(o.Lines).Elem().FieldByName("entries").Pointer()] = true
			}
			return m
		}
		shared, unshared := len(arrays(on[i])), len(arrays(off[i]))
		if unshared != len(off[i]) || shared*3 > unshared*2 {
			t.Errorf("%d arrays of entries for %d tables shared, %d not", shared, len(on[i]), unshared)
		}
	}
}
