package check

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
)

func pod(name string, ann map[string]string) *inventory.Object {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Annotations: ann}}
	p.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Pod"))
	return inventory.New(p, inventory.Source{File: "p.yaml", Line: 3}, nil)
}

func reportAll(id string) *Check {
	return &Check{ID: id, Title: "t", Doc: "d", Severity: High, Run: func(p *Pass) {
		for _, o := range p.Inv.ByKind("Pod") {
			p.Reportf(o, "spec", "bad %s", o.Name)
		}
	}}
}

func TestSuppress(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	inv := inventory.Build([]*inventory.Object{
		pod("annotated", map[string]string{IgnoreAnnotation: "images/*, rbac/x: vendor image\nnetwork/y: old; expires 2026-01-01"}),
		pod("config", nil),
		pod("expired", nil),
		pod("plain", nil),
		pod("bad", map[string]string{IgnoreAnnotation: "images/latest-tag"}),
	})
	cfg := &config.Config{Path: ".kubeharden.yaml", Exceptions: []config.Exception{
		{Check: "images/latest-tag", Namespace: "sh*", Name: "config", Reason: "legacy"},
		{Check: "images/latest-tag", Kind: "Pod", Name: "expired", Reason: "was legacy", Expires: config.Date{Time: time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC)}},
		{Check: "images/latest-tag", Name: "plain", Reason: "until tomorrow", Expires: config.Date{Time: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}},
	}}
	fs, errs := Run(inv, cfg, nil, []*Check{reportAll("images/latest-tag"), reportAll("network/y")})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	errs = Suppress(fs, inv, cfg, now)
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "needs a reason") || errs[0].Line != 3 {
		t.Errorf("malformed annotation errors = %+v", errs)
	}
	got := map[string]bool{}
	for _, f := range fs {
		got[f.Check+" "+f.Object.Name] = f.Suppressed
		if f.Object.Name == "expired" && f.Check == "images/latest-tag" {
			if f.Suppression == nil || !f.Suppression.Expired || !strings.Contains(f.Message, "expired 2026-05-31") {
				t.Errorf("expired exception not reported: %+v", f)
			}
		}
	}
	want := map[string]bool{
		"images/latest-tag annotated": true, "network/y annotated": false, // annotation for network/y expired
		"images/latest-tag config": true, "network/y config": false,
		"images/latest-tag expired": false, "images/latest-tag plain": true, // expires at the end of its day
		"images/latest-tag bad": false,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s suppressed = %v, want %v", k, got[k], v)
		}
	}
}

func TestRunSurvivesPanic(t *testing.T) {
	boom := &Check{ID: "images/boom", Title: "t", Doc: "d", Severity: Low, Run: func(*Pass) { panic("nil map") }}
	inv := inventory.Build([]*inventory.Object{pod("a", nil)})
	fs, errs := Run(inv, nil, nil, []*Check{boom, reportAll("images/ok")})
	if len(fs) != 1 || fs[0].Check != "images/ok" || fs[0].Line != 3 || fs[0].File != "p.yaml" {
		t.Errorf("findings = %+v", fs)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "images/boom") {
		t.Errorf("errors = %+v", errs)
	}
}

func TestSeverity(t *testing.T) {
	for _, s := range Severities {
		got, err := ParseSeverity(strings.ToUpper(s.String()))
		if err != nil || got != s {
			t.Errorf("round trip %v: %v %v", s, got, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("unknown severity accepted")
	}
}

func TestRegisterRejectsBadIDs(t *testing.T) {
	for _, id := range []string{"nopractice", "bogus/x", "images/"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", id)
				}
			}()
			Register(&Check{ID: id, Title: "t", Doc: "d", Severity: Low, Run: func(*Pass) {}})
		}()
	}
}

func TestSortFindingsPermutes(t *testing.T) {
	var fs []Finding
	for i := 0; i < 200; i++ {
		fs = append(fs, Finding{File: string(rune('a' + (i*7)%26)), Line: (i * 13) % 17, Check: "images/x", Message: strings.Repeat("m", i%5)})
	}
	want := append([]Finding(nil), fs...)
	sort.SliceStable(want, func(i, j int) bool {
		a, b := want[i], want[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Message < b.Message
	})
	SortFindings(fs)
	for i := range fs {
		if !reflect.DeepEqual(fs[i], want[i]) {
			t.Fatalf("position %d: %+v, want %+v", i, fs[i], want[i])
		}
	}
}
