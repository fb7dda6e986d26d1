package etcdverify

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/encryption"
)

func TestHeadDecodesOnlyThePrefix(t *testing.T) {
	value := "k8s:enc:aescbc:v1:key1:" + strings.Repeat("\xab", 10_000)
	raw, _ := json.Marshal(base64.StdEncoding.EncodeToString([]byte(value)))
	h, size := head(raw)
	if size != len(value) {
		t.Errorf("size = %d, want %d", size, len(value))
	}
	if len(h) > encryption.MaxPrefix+2 || !strings.HasPrefix(value, string(h)) || len(h) < encryption.MaxPrefix {
		t.Errorf("head is %d bytes", len(h))
	}
	for _, v := range []string{"", "a", "ab", "abc", "abcd"} {
		raw, _ := json.Marshal(base64.StdEncoding.EncodeToString([]byte(v)))
		if h, size := head(raw); string(h) != v || size != len(v) {
			t.Errorf("head(%q) = %q, %d", v, h, size)
		}
	}
}

func TestKeysAndPrefixes(t *testing.T) {
	if got := prefixEnd("/registry/secrets/"); got != "/registry/secrets0" {
		t.Errorf("prefixEnd = %q", got)
	}
	if ns, name := splitKey("shop/db"); ns != "shop" || name != "db" {
		t.Error(ns, name)
	}
	if ns, name := splitKey("node-1"); ns != "" || name != "node-1" {
		t.Error(ns, name)
	}
	for gr, want := range map[encryption.GroupResource]string{
		encryption.Secrets:                                  "secrets",
		{Group: "apps", Resource: "deployments"}:            "deployments",
		{Group: "example.com", Resource: "widgets"}:         "example.com/widgets",
		{Resource: "services"}:                              "services/specs",
		{Group: "networking.k8s.io", Resource: "ingresses"}: "ingress",
	} {
		if got := KeyPrefix(gr); got != want {
			t.Errorf("KeyPrefix(%v) = %q, want %q", gr, got, want)
		}
	}
}

func TestJudgeAndRewriteCommands(t *testing.T) {
	cbc1 := encryption.Stored{Encrypted: true, Provider: "aescbc", Version: "v1", Key: "key1"}
	cbc2 := cbc1
	cbc2.Key = "key2"
	objs := []Object{
		{Namespace: "a", Name: "plain", Stored: encryption.Stored{}},
		{Namespace: "a", Name: "old", Stored: cbc1},
		{Namespace: "b", Name: "new", Stored: cbc2},
		{Namespace: "c", Name: "lost", Stored: cbc1, Status: StatusUnreadable},
	}
	res := Resource{Resource: "secrets", ByStatus: map[string]int{}, Stored: map[string]int{}, writer: cbc2}
	judge(objs, &res, true)
	want := []string{StatusRewrite, StatusRewrite, StatusOK, StatusUnreadable}
	for i, o := range objs {
		if o.Status != want[i] {
			t.Errorf("%s: %s (%s), want %s", o.Name, o.Status, o.Reason, want[i])
		}
	}
	rep := &Report{Resources: []Resource{res}, Objects: objs}
	if cmds := rep.RewriteCommands(); len(cmds) != 1 || cmds[0] != "kubectl get secrets -n a -o json | kubectl replace -f -" {
		t.Errorf("commands = %q", cmds)
	}
	if rep.Clean() {
		t.Error("not clean")
	}
	many := Resource{Resource: "configmaps", RewriteNamespaces: []string{"1", "2", "3", "4", "5", "6"}}
	if cmds := (&Report{Resources: []Resource{many}}).RewriteCommands(); len(cmds) != 1 || !strings.Contains(cmds[0], " -A ") {
		t.Errorf("many namespaces: %q", cmds)
	}
	// Encryption off: plaintext objects are reported as such, not as rewrites.
	off := Resource{Resource: "secrets", ByStatus: map[string]int{}, Stored: map[string]int{}}
	plain := []Object{{Name: "p"}}
	judge(plain, &off, false)
	if plain[0].Status != StatusPlaintext {
		t.Errorf("encryption off: %s", plain[0].Status)
	}
}
