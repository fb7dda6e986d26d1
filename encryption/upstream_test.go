package encryption

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/server/options/encryptionconfig"
	"k8s.io/apiserver/pkg/storage/value"
)

// The API server itself is the reference: each configuration of testdata/upstream is loaded
// with the API server's own loader (k8s.io/apiserver encryptionconfig), and Decode must
// agree on whether it loads; for those that load, data written through the API server's
// transformer for each resource must start with the prefix Writer and WritePrefix predict,
// and Match must find the provider that reads it.
func TestAgreesWithAPIServer(t *testing.T) {
	files, err := filepath.Glob("testdata/upstream/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no configurations in testdata/upstream: %v", err)
	}
	resources := []GroupResource{
		Secrets, {"", "configmaps"}, {"", "events"}, {"apps", "deployments"}, {"apps", "statefulsets"},
		{"example.com", "widgets"}, {"batch", "jobs"},
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ref, refErr := encryptionconfig.LoadEncryptionConfig(ctx, file, false, "test")
			c := Decode(data)
			wantInvalid := strings.Contains(string(data), "# invalid")
			if (refErr != nil) != wantInvalid {
				t.Fatalf("fixture says invalid=%v but the API server's loader says %v", wantInvalid, refErr)
			}
			if (refErr != nil) != (len(c.Problems) > 0) {
				t.Fatalf("API server: %v; Decode problems: %v", refErr, c.Problems)
			}
			for _, p := range c.Problems {
				if strings.Contains(p.Message, "secret") && strings.Contains(string(data), p.Message) {
					t.Errorf("problem quotes the file: %s", p)
				}
			}
			if refErr != nil {
				return
			}
			tr := encryptionconfig.StaticTransformers(ref.Transformers)
			for _, gr := range resources {
				plain := []byte("k8s\x00some object of " + gr.String())
				dctx := value.DefaultContext("/registry/" + gr.Resource + "/ns/name")
				stored, err := tr.TransformerForResource(schema.GroupResource{Group: gr.Group, Resource: gr.Resource}).
					TransformToStorage(ctx, plain, dctx)
				if err != nil {
					t.Fatalf("%s: API server transformer: %v", gr, err)
				}
				w, ok := c.Writer(gr)
				want := ""
				if ok {
					want = c.Provider(w).WritePrefix()
				}
				if !bytes.HasPrefix(stored, []byte(want)) || ParseStored(stored).Encrypted != (want != "") {
					t.Errorf("%s: the API server writes %q, Writer predicts %q", gr, stored[:min(len(stored), len(want)+8)], want)
				}
				if ok {
					// Match reads key names with ':' whole, which ParseStored alone cannot.
					s, r, _, found := c.Match(gr, stored)
					if !found || r != w || s.Prefix() != want {
						t.Errorf("%s: Match found %v %q (ok %v), want the writer %v %q", gr, r, s.Prefix(), found, w, want)
					}
				}
			}
		})
	}
}
