package load

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/kubeharden/kubeharden/inventory"
)

func names(t *testing.T, paths []string, opts Options) ([]string, []inventory.Error) {
	t.Helper()
	objs, errs := Files(paths, opts)
	var out []string
	for _, o := range objs {
		out = append(out, o.Source.File+":"+o.Name)
	}
	return out, errs
}

func TestFilesTree(t *testing.T) {
	got, errs := names(t, []string{"testdata/tree"}, Options{})
	want := []string{
		"testdata/tree/a.yaml:shop",
		"testdata/tree/sub/b.yml:b",
		"testdata/tree/sub/c.json:c",
	}
	if !reflect.DeepEqual(got, want) || len(errs) > 0 {
		t.Errorf("got %v, errors %v; want %v (hidden dirs, .kubeharden.yaml and other extensions skipped)", got, errs, want)
	}
	// A file named explicitly is read whatever its extension; paths keep their order.
	got, errs = names(t, []string{"testdata/tree/sub/c.json", "testdata/tree/.hidden/d.yaml", "testdata/tree/a.yaml"}, Options{})
	want = []string{"testdata/tree/sub/c.json:c", "testdata/tree/.hidden/d.yaml:hidden", "testdata/tree/a.yaml:shop"}
	if !reflect.DeepEqual(got, want) || len(errs) > 0 {
		t.Errorf("got %v, errors %v; want %v", got, errs, want)
	}
}

func TestFilesMissing(t *testing.T) {
	got, errs := names(t, []string{"testdata/nope.yaml", "testdata/tree/a.yaml"}, Options{})
	if len(got) != 1 || len(errs) != 1 || errs[0].File != "testdata/nope.yaml" || errs[0].Message != "no such file or directory" {
		t.Errorf("got %v, errors %v", got, errs)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func cm(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
}

func TestFilesSymlinks(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "app", "a.yaml"), cm("a"))
	write(t, filepath.Join(dir, "app", ".git", "x.yaml"), cm("git"))
	write(t, filepath.Join(dir, "other", "o.yaml"), cm("o"))
	links := map[string]string{
		"app/loop":       ".",          // back to itself
		"app/deep/up":    "../..",      // back to an ancestor's parent, then down again
		"app/again.yml":  "a.yaml",     // the same file twice
		"app/other":      "../other",   // a directory elsewhere: followed
		"app/self1.yaml": "self2.yaml", // a chain that never ends
		"app/self2.yaml": "self1.yaml",
		"app/gone.yaml":  "missing.yaml", // dangling
	}
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Skip("symlinks not supported:", err)
		}
	}
	objs, errs := Files([]string{filepath.Join(dir, "app")}, Options{})
	var got []string
	for _, o := range objs {
		rel, _ := filepath.Rel(dir, o.Source.File)
		got = append(got, rel+":"+o.Name)
	}
	want := []string{"app/a.yaml:a", "app/deep/up/other/o.yaml:o"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("objects %v, want %v", got, want)
	}
	var msgs []string
	for _, e := range errs {
		rel, _ := filepath.Rel(dir, e.File)
		msgs = append(msgs, rel+": "+e.Message)
	}
	app := filepath.Join(dir, "app")
	wantErrs := []string{
		"app/deep/up/app: symlink loop: links back to " + app + ", which contains it",
		"app/gone.yaml: broken symbolic link",
		"app/loop: symlink loop: links back to " + app + ", which contains it",
		"app/self1.yaml: symlink loop: too many levels of symbolic links",
		"app/self2.yaml: symlink loop: too many levels of symbolic links",
	}
	if !reflect.DeepEqual(msgs, wantErrs) {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(msgs, "\n"), strings.Join(wantErrs, "\n"))
	}
}

func TestFilesBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	write(t, good, cm("good"))

	binary := filepath.Join(dir, "binary.yaml")
	write(t, binary, "apiVersion: v1\x00\x01\x02")
	latin1 := filepath.Join(dir, "latin1.yaml")
	write(t, latin1, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n")

	// A huge file: sparse, so it costs no disk; its size alone makes it an error.
	huge := filepath.Join(dir, "huge.yaml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(DefaultMaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()

	unreadable := filepath.Join(dir, "secret.yaml")
	write(t, unreadable, cm("unreadable"))
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	_, readErr := os.ReadFile(unreadable)

	objs, errs := Files([]string{binary, huge, latin1, unreadable, good}, Options{})
	want := map[string]string{
		binary:     "not a manifest: binary file (contains NUL bytes)",
		huge:       "file is larger than the 64 MiB limit; not read",
		latin1:     "not a manifest: not UTF-8 text",
		unreadable: "cannot read: permission denied",
	}
	if readErr == nil {
		// Running as root: chmod does not stop reading.
		delete(want, unreadable)
		if len(objs) == 2 {
			objs = objs[1:]
		}
		t.Log("running as a user that reads mode-000 files; unreadable case not checked")
	}
	got := map[string]string{}
	for _, e := range errs {
		got[e.File] = e.Message
		if e.Line != 0 {
			t.Errorf("%s: line %d for a whole-file error", e.File, e.Line)
		}
	}
	if readErr == nil {
		delete(got, unreadable)
	}
	if len(objs) != 1 || objs[0].Name != "good" {
		t.Errorf("objects %v", objs)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors %v\nwant %v", got, want)
	}

	// A smaller limit applies to what is actually read, for pipes too.
	_, errs = Files([]string{"-"}, Options{Stdin: strings.NewReader(cm("x") + strings.Repeat("#", 100)), MaxFileSize: 64})
	if len(errs) != 1 || errs[0].Message != "file is larger than the 64 bytes limit; not read" {
		t.Errorf("limit: %v", errs)
	}
}

func TestFilesStdin(t *testing.T) {
	objs, errs := Files([]string{"-", "testdata/tree/a.yaml", "-"}, Options{Stdin: strings.NewReader(cm("from-stdin") + "---\n" + cm("second"))})
	if len(errs) > 0 || len(objs) != 3 {
		t.Fatalf("objects %d, errors %v", len(objs), errs)
	}
	if objs[0].Source.File != StdinName || objs[0].Name != "from-stdin" || objs[1].Source.Line != 6 || objs[2].Name != "shop" {
		t.Errorf("got %s:%d %s, %s:%d", objs[0].Source.File, objs[0].Source.Line, objs[0].Name, objs[1].Source.File, objs[1].Source.Line)
	}
	_, errs = Files([]string{"-"}, Options{})
	if len(errs) != 1 || errs[0].Message != "no standard input to read" {
		t.Errorf("no stdin: %v", errs)
	}
}

func TestEncodings(t *testing.T) {
	doc := cm("enc") + "data:\n  k: v\n"
	crlf := strings.ReplaceAll(doc, "\n", "\r\n")
	bom := "\xef\xbb\xbf" + doc
	var le, be bytes.Buffer
	le.WriteString("\xff\xfe")
	be.WriteString("\xfe\xff")
	for _, u := range utf16.Encode([]rune(doc)) {
		le.WriteByte(byte(u))
		le.WriteByte(byte(u >> 8))
		be.WriteByte(byte(u >> 8))
		be.WriteByte(byte(u))
	}
	for name, data := range map[string][]byte{"crlf": []byte(crlf), "bom": []byte(bom), "utf16le": le.Bytes(), "utf16be": be.Bytes()} {
		objs, errs := Decode(name, data)
		if len(errs) > 0 || len(objs) != 1 {
			t.Errorf("%s: objects %d, errors %v", name, len(objs), errs)
			continue
		}
		if got := objs[0].Lines.Lookup("data.k"); got != 6 {
			t.Errorf("%s: line of data.k = %d, want 6", name, got)
		}
	}
}

// TestFilesOrder checks that parallel decoding returns what decoding file by file does.
func TestFilesOrder(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := 0; i < 40; i++ {
		var b strings.Builder
		for j := 0; j < 5; j++ {
			fmt.Fprintf(&b, "---\n%s", cm(fmt.Sprintf("f%02d-d%d", i, j)))
			want = append(want, fmt.Sprintf("f%02d-d%d", i, j))
		}
		if i%7 == 3 {
			b.WriteString("---\n: bad\n  - yaml\n")
		}
		write(t, filepath.Join(dir, fmt.Sprintf("f%02d.yaml", i)), b.String())
	}
	for run := 0; run < 3; run++ {
		objs, errs := Files([]string{dir}, Options{})
		var got []string
		for _, o := range objs {
			got = append(got, o.Name)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d: order differs", run)
		}
		if len(errs) != 6 || errs[0].File != filepath.Join(dir, "f03.yaml") || errs[5].File != filepath.Join(dir, "f38.yaml") {
			t.Fatalf("run %d: errors %v", run, errs)
		}
	}
}

// TestTextSample: a multi-byte character cut by the end of the sample is not "binary".
func TestTextSample(t *testing.T) {
	for pad := 0; pad < 4; pad++ {
		doc := cm("x") + "data:\n  k: " + strings.Repeat("a", sniffSize-40-pad) + strings.Repeat("é€😀", 10) + "\n"
		if _, msg := text([]byte(doc)); msg != "" {
			t.Errorf("pad %d: %s", pad, msg)
		}
	}
	if _, msg := text([]byte(cm("x") + strings.Repeat("a", sniffSize) + "\xff")); msg != "" {
		t.Errorf("invalid UTF-8 after the sample is the YAML parser's to find, got %q", msg)
	}
}
