package netpol

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kubeharden/kubeharden/inventory"
)

// decodeFile reads a multi-document manifest into inventory objects. The engine tests keep
// their own small decoder so that they exercise the engine alone.
func decodeFile(t testing.TB, file string) []*inventory.Object {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, file, b)
}

func decode(t testing.TB, file string, b []byte) []*inventory.Object {
	t.Helper()
	var out []*inventory.Object
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		obj, gvk, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("%s: document %d: %v", file, i+1, err)
		}
		obj.GetObjectKind().SetGroupVersionKind(*gvk)
		out = append(out, inventory.New(obj, inventory.Source{File: file}, nil))
	}
	return out
}

func stripComments(doc string) string {
	var b bytes.Buffer
	sc := bufio.NewScanner(strings.NewReader(doc))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			fmt.Fprintln(&b, l)
		}
	}
	return b.String()
}

func engineOf(t testing.TB, file string) *Engine {
	t.Helper()
	return FromInventory(inventory.Build(decodeFile(t, file)))
}
