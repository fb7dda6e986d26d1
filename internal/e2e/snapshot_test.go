package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
	"github.com/kubeharden/kubeharden/snapshot"
)

// TestSnapshotRoundTrip: `kubeharden scan cluster.yaml` gives the findings `scan --cluster`
// gave, from a snapshot taken with `kubeharden snapshot --file cluster.yaml`, and the snapshot
// carries the cluster's facts.
func TestSnapshotRoundTrip(t *testing.T) {
	c := testcluster.Need(t, tc)
	applyExamples(t, c)
	kc := writeKubeconfig(t, c.Admin)
	snap := filepath.Join(t.TempDir(), "cluster.yaml")
	s := kubeharden(t, kc, "snapshot", "--file", snap)
	if s.code != 0 || len(s.stdout) != 0 {
		t.Fatalf("snapshot: exit %d, stdout %q, stderr:\n%s", s.code, s.stdout, s.stderr)
	}
	live := kubeharden(t, kc, "scan", "--cluster", "-o", "json", "--fail-on", "none")
	off := kubeharden(t, "", "scan", snap, "-o", "json", "--fail-on", "none")
	lres, ores := decodeResult(t, live), decodeResult(t, off)
	if live.code != 0 || off.code != 0 {
		t.Fatalf("exit codes: live %d, snapshot %d; stderr:\n%s\n%s", live.code, off.code, live.stderr, off.stderr)
	}
	if d := diffFindings(lres.Findings, ores.Findings); d != "" {
		t.Errorf("findings differ (- live, + snapshot):\n%s", d)
	}
	if lres.Summary.Objects != ores.Summary.Objects || !reflect.DeepEqual(lres.Errors, ores.Errors) {
		t.Errorf("summary: live %d objects, errors %v; snapshot %d objects, errors %v",
			lres.Summary.Objects, lres.Errors, ores.Summary.Objects, ores.Errors)
	}
	for _, f := range ores.Findings {
		if f.File != snap || f.Line == 0 {
			t.Errorf("snapshot finding without its place in the snapshot: %+v", f)
			break
		}
	}

	// The facts survive the round trip.
	objs, errs := load.Files([]string{snap}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("the snapshot does not load cleanly: %v", errs)
	}
	_, info, errs := snapshot.Split(objs)
	if len(errs) > 0 || info == nil || info.Facts == nil || !strings.HasPrefix(info.Facts.ServerVersion, "v1.37.") {
		t.Errorf("snapshot facts: %+v, errors %v", info, errs)
	}
	b, _ := os.ReadFile(snap)
	if strings.Contains(string(b), "managedFields") {
		t.Error("managedFields written to the snapshot")
	}
}

// TestSnapshotRoundTripInProcess is the round trip through the library, with every check this
// package registers: read live, write a snapshot, read it as files, same findings.
func TestSnapshotRoundTripInProcess(t *testing.T) {
	c := testcluster.Need(t, tc)
	applyExamples(t, c)
	ctx := context.Background()
	live, err := live.Cluster(ctx, c.Admin, live.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, "test", live.Objects, &snapshot.Snapshot{Facts: live.Facts}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	objs, errs := load.Files([]string{p}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("snapshot does not load cleanly: %v", errs)
	}
	objs, info, errs := snapshot.Split(objs)
	if len(errs) > 0 || info == nil || info.Facts == nil {
		t.Fatalf("no facts in the snapshot (%v)", errs)
	}
	got := *info.Facts
	got.Object = nil // the ClusterFacts document, for findings about the cluster itself
	if !reflect.DeepEqual(&got, live.Facts) {
		t.Fatalf("facts %+v, want %+v", got, live.Facts)
	}
	if len(objs) != len(live.Objects) {
		t.Fatalf("%d objects back from %d", len(objs), len(live.Objects))
	}
	for i, o := range objs {
		if o.Ref != live.Objects[i].Ref || reflect.TypeOf(o.Obj) != reflect.TypeOf(live.Objects[i].Obj) {
			t.Fatalf("object %d: %s %T, want %s %T", i, o.Ref, o.Obj, live.Objects[i].Ref, live.Objects[i].Obj)
		}
	}
	now := time.Now()
	a := scan.Run(inventory.Build(live.Objects), scan.Options{Facts: live.Facts, Now: now})
	b := scan.Run(inventory.Build(objs), scan.Options{Facts: info.Facts, Now: now})
	if d := diffFindings(a.Findings, b.Findings); d != "" {
		t.Errorf("findings differ (- live, + snapshot):\n%s", d)
	}
	t.Logf("%d objects, %d findings, snapshot %d KB", len(objs), len(a.Findings), buf.Len()/1024)
}
