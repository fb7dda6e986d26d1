package snapshot_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/snapshot"
)

// TestSnapshotRedactsEncryptionKeys: a snapshot of a control-plane node's files must not carry
// the EncryptionConfiguration's keys, yet must still read back as an EncryptionConfiguration.
func TestSnapshotRedactsEncryptionKeys(t *testing.T) {
	const key = "c2VjcmV0LWtleS0xMjM0NTY3ODkwMTIzNDU2Nzg5MDEy"
	doc := `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - aescbc:
      keys:
      - name: key1
        secret: ` + key + `
  - identity: {}
`
	objs, errs := load.Decode("enc.yaml", []byte(doc))
	if len(errs) != 0 || len(objs) != 1 {
		t.Fatalf("decode: %d objects, errors %v", len(objs), errs)
	}
	var b bytes.Buffer
	if err := snapshot.Write(&b, "", objs, nil); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, key) {
		t.Fatal("snapshot carries the encryption key")
	}
	if !strings.Contains(out, "kind: EncryptionConfiguration") || !strings.Contains(out, "name: key1") {
		t.Errorf("snapshot lost the configuration's shape:\n%s", out)
	}
	back, errs := load.Decode("snap.yaml", b.Bytes())
	if len(errs) != 0 || len(back) != 1 {
		t.Errorf("snapshot does not read back: %d objects, errors %v", len(back), errs)
	}
}
