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
