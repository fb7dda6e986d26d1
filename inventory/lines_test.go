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
