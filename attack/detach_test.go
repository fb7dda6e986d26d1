package attack_test

import (
	"encoding/json"
	"runtime"
	"testing"
	"weak"

	"github.com/kubeharden/kubeharden/attack"
	"github.com/kubeharden/kubeharden/internal/gen"
)

// TestDetach holds Detach to its two promises on a generated cluster: the detached paths
// say exactly what the found ones say (JSON, text, the objects and fields findings are
// reported on, shared nodes still shared), and they keep nothing else of the graph alive
// (an edge off every path is collected once the graph is dropped).
func TestDetach(t *testing.T) {
	var offPath weak.Pointer[attack.Edge]
	detached := func() []*attack.Path {
		g, err := attack.Analyze(gen.Options{Profile: "multitenant"}.Inventory(300, 1), attack.Options{Now: now, RBACDefaults: true})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := g.Paths(attack.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 {
			t.Fatal("no paths in the generated cluster")
		}
		ds := attack.Detach(ps)
		if len(ds) != len(ps) {
			t.Fatalf("%d paths detached, want %d", len(ds), len(ps))
		}
		on := map[*attack.Edge]bool{}
		for i, p := range ps {
			d := ds[i]
			want, _ := json.Marshal(p)
			got, _ := json.Marshal(d)
			if string(got) != string(want) || d.String() != p.String() || d.Len() != p.Len() {
				t.Fatalf("path %d detached:\n%s\nwant:\n%s", i, got, want)
			}
			if d.Entry.Loaded() != p.Entry.Loaded() || d.Entry.EntryPath() != p.Entry.EntryPath() || d.To.Kind != p.To.Kind {
				t.Errorf("path %d: entry point or target differs", i)
			}
			if d.Entry != d.Steps[1].Node || d.From != d.Steps[0].Node || d.To != d.Steps[len(d.Steps)-1].Node {
				t.Errorf("path %d: its nodes are not shared with its steps", i)
			}
			for j, s := range p.Steps {
				if s.Edge != nil {
					on[s.Edge] = true
					if d.Steps[j].Edge == s.Edge || d.Steps[j].Edge.From != d.Steps[j-1].Node || d.Steps[j].Edge.To != d.Steps[j].Node {
						t.Errorf("path %d step %d: edge not copied onto the copied nodes", i, j)
					}
				}
			}
		}
		if ds[0].From != ds[len(ds)-1].From {
			t.Error("the internet is not one node across detached paths")
		}
		off := 0
		for _, e := range g.Edges() {
			if !on[e] {
				off++
				if off == 1 {
					offPath = weak.Make(e)
				}
			}
		}
		if off == 0 {
			t.Fatal("every edge is on a path: nothing to show collected")
		}
		return ds
	}()
	runtime.GC()
	if offPath.Value() != nil {
		t.Error("an edge off every path is still reachable from the detached paths")
	}
	runtime.KeepAlive(detached)
}
