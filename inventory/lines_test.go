package inventory

import "testing"

func TestPathHashIncrementalEqualsWhole(t *testing.T) {
	h := Root.Field("spec").Field("template").Field("spec").Field("containers").Index(12).Field("image")
	if h != HashPath("spec.template.spec.containers[12].image") {
		t.Fatal("incremental hash differs from whole-path hash")
	}
	if Root.Field("a").Field("b") == Root.Field("a.b").Field("") {
		t.Fatal("distinct paths collide")
	}
}

func TestFindFallsBackToAncestor(t *testing.T) {
	var lt LineTable
	c := Root.Field("spec").Field("containers").Index(1)
	lt.Add(Root.Field("spec"), 5)
	lt.Add(c, 9)
	lt.Add(c.Field("image"), 10)
	lt.Seal()
	for path, want := range map[string]int{
		"spec.containers[1].image":                   10,
		"spec.containers[1].resources.limits.memory": 9,
		"spec.containers[0].image":                   5,
		"metadata.name":                              0,
	} {
		if got := lt.Find(path); got != want {
			t.Errorf("Find(%q) = %d, want %d", path, got, want)
		}
	}
	var nilTable *LineTable
	if nilTable.Find("spec") != 0 {
		t.Error("nil table must find nothing")
	}
}

// TestLinesFarApart: lines before the first one added, and lines 65,535 or more after it,
// are kept exactly, as are all the others of the same table.
func TestLinesFarApart(t *testing.T) {
	var lt LineTable
	want := map[string]int{}
	add := func(path string, line int) {
		lt.Add(HashPath(path), line)
		want[path] = line
	}
	add("data", 100)
	add("metadata", 3)
	for i := range 300 {
		add("data.k"+string(rune('a'+i%26))+string(rune('a'+i/26)), 100+i*1000)
	}
	add("spec", 100+offsetMask-1)
	add("status", 100+offsetMask)
	add("x", 1<<31-1)
	lt.Seal()
	for path, line := range want {
		if got := lt.Lookup(path); got != line {
			t.Errorf("Lookup(%q) = %d, want %d", path, got, line)
		}
	}
	if lt.Lookup("missing") != 0 {
		t.Error("a path never added has a line")
	}
	if len(lt.wide) == 0 || len(lt.wide) == len(want) {
		t.Errorf("%d of %d lines stored wide: the test misses one of the two forms", len(lt.wide), len(want))
	}
}

func TestLineShare(t *testing.T) {
	table := func(base int) *LineTable {
		var lt LineTable
		lt.Add(Root.Field("kind"), base)
		lt.Add(Root.Field("spec"), base+2)
		lt.Add(Root.Field("spec").Field("replicas"), base+3)
		lt.Seal()
		return &lt
	}
	s := NewLineShare()
	a, b, c := table(1), table(40), table(7)
	c.Add(Root.Field("status"), 20)
	c.Seal()
	unsealed := table(3)
	unsealed.Add(Root.Field("status"), 9)
	for _, lt := range []*LineTable{a, b, c, unsealed} {
		s.Share(lt)
	}
	if &a.entries[0] != &b.entries[0] {
		t.Error("equal entries at other lines are not shared")
	}
	if &a.entries[0] == &c.entries[0] || &a.entries[0] == &unsealed.entries[0] {
		t.Error("a table with another field, or unsealed, shares")
	}
	if a.Lookup("spec.replicas") != 4 || b.Lookup("spec.replicas") != 43 {
		t.Errorf("lines %d and %d, want 4 and 43", a.Lookup("spec.replicas"), b.Lookup("spec.replicas"))
	}
	// A shared table that grows again leaves the other alone.
	b.Add(Root.Field("status"), 50)
	b.Seal()
	if a.Len() != 3 || a.Lookup("status") != 0 || b.Lookup("status") != 50 || a.Lookup("spec") != 3 {
		t.Error("growing a shared table changed the other")
	}
}
