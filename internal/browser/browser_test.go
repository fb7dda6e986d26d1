package browser

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// page has a button that reveals a hidden paragraph and a script that fails on purpose when
// asked to, so the test can see that clicks, visibility and the console log all work: a
// harness that missed errors would let every report test pass vacuously.
const page = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>harness</title></head>
<body><button id="b">show</button><p class="x">one</p><p class="x" id="later" hidden>two</p>
<div hidden><p class="x">never</p></div><input id="q">
<script>
document.getElementById("b").addEventListener("click", () => { document.getElementById("later").hidden = false; });
document.getElementById("q").addEventListener("input", (e) => { if (e.target.value === "boom") throw new Error("kaboom"); });
</script></body></html>`

func TestHarness(t *testing.T) {
	b := Start(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	}))
	defer srv.Close()

	b.Open(srv.URL)
	if got := b.Title(); got != "harness" {
		t.Fatalf("title %q", got)
	}
	if n := b.Count("p.x"); n != 1 {
		t.Errorf("%d visible paragraphs before the click, want 1 (hidden ones and ones in hidden parents do not count)", n)
	}
	b.Find("#b").Click()
	if n := b.Count("p.x"); n != 2 {
		t.Errorf("%d visible paragraphs after the click, want 2", n)
	}
	if !b.Find("#later").Displayed() || b.Find("#later").Text() != "two" {
		t.Error("revealed paragraph not displayed with its text")
	}
	if logs := b.Logs(); len(logs) != 0 {
		t.Errorf("console not clean before the error: %+v", logs)
	}
	b.Find("#q").Type("boom")
	var found bool
	for _, l := range b.Logs() {
		found = found || l.Level == "SEVERE" && strings.Contains(l.Message, "kaboom")
	}
	if !found {
		t.Error("an uncaught page error did not reach the log")
	}
	var sum int
	b.Exec(&sum, "return arguments[0] + arguments[1].textContent.length", 40, b.Find("#later"))
	if sum != 43 {
		t.Errorf("Exec returned %d, want 43", sum)
	}
	shot := filepath.Join(t.TempDir(), "page.png")
	b.Screenshot(shot)
	if data, err := os.ReadFile(shot); err != nil || !strings.HasPrefix(string(data), "\x89PNG") {
		t.Errorf("screenshot is not a PNG: %v", err)
	}
}
