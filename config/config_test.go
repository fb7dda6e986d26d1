package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindUpward(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, FileName), "resources:\n  requireCPULimit: true\nexceptions:\n- check: images/*\n  reason: mirror pins digests\n  expires: 2027-01-31\n")
	write(t, filepath.Join(root, "a", "b", "app.yaml"), "kind: List\n")
	c, err := Find(filepath.Join(root, "a", "b", "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Resources.RequireCPULimit || len(c.Exceptions) != 1 || c.Path != filepath.Join(root, FileName) {
		t.Fatalf("config = %+v", c)
	}
	if got := c.Exceptions[0].Expires.String(); got != "2027-01-31" {
		t.Errorf("expires = %q", got)
	}
	none, err := Find(t.TempDir())
	if err != nil || none.Path != "" || len(none.Exceptions) != 0 {
		t.Errorf("without a file: %+v, %v", none, err)
	}
}

func TestLoadRejects(t *testing.T) {
	for name, body := range map[string]string{
		"unknown field":   "resource:\n  requireCPULimit: true\n",
		"no reason":       "exceptions:\n- check: images/latest-tag\n",
		"no check":        "exceptions:\n- reason: because\n",
		"bad date":        "exceptions:\n- check: images/x\n  reason: r\n  expires: next week\n",
		"not yaml object": "- just\n- a list\n",
	} {
		p := filepath.Join(t.TempDir(), FileName)
		write(t, p, body)
		if _, err := Load(p); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), p) && name != "bad date" {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

func TestDateExpiresAtEndOfDay(t *testing.T) {
	d, err := ParseDate("2026-06-01")
	if err != nil {
		t.Fatal(err)
	}
	if d.Expired(time.Date(2026, 6, 1, 23, 59, 0, 0, time.UTC)) {
		t.Error("expired during its own day")
	}
	if !d.Expired(time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)) {
		t.Error("not expired the day after")
	}
	if (Date{}).Expired(time.Now()) {
		t.Error("a zero date never expires")
	}
}
