package enforce

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kubeharden/kubeharden/admission"
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/testcluster"
)

// auditAnnotations are the annotations kubeharden put on the API server's audit events of
// the object (ns, name, resource), by check key (the part after the webhook's name), from
// the last ResponseComplete event with any.
func auditAnnotations(t *testing.T, resource, ns, name string) map[string]string {
	t.Helper()
	f, err := os.Open(auditLog)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev auditv1.Event
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Stage != auditv1.StageResponseComplete || ev.ObjectRef == nil {
			continue
		}
		if ev.ObjectRef.Resource != resource || ev.ObjectRef.Namespace != ns || ev.ObjectRef.Name != name {
			continue
		}
		got := map[string]string{}
		for k, v := range ev.Annotations {
			if hook, key, ok := strings.Cut(k, "/"); ok && strings.Contains(hook, "kubeharden") {
				got[key] = v
			}
		}
		if len(got) > 0 {
			out = got
		}
	}
	return out
}

// TestWebhookAudit registers the webhook in audit mode: the insecure Deployment is created,
// no warning reaches the client, and the API server's audit log records the findings as
// audit annotations, one per check, each a check scan reports on the object.
func TestWebhookAudit(t *testing.T) {
	testcluster.Need(t, tc)
	w := startWebhook(t, admission.Options{Mode: admission.Audit})
	objs := example(t, "insecure")
	ns := tc.Namespace(t, "audit", map[string]string{e2eLabel: "audit"})
	register(t, w, "audit", admissionregistrationv1.Fail)
	c := newClient(t)

	// Registration takes effect when the API server's informer sees it: wait for a probe's
	// annotations.
	probe := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "probe", "namespace": ns},
		"spec": map[string]any{"hostNetwork": true, "containers": []any{map[string]any{"name": "c", "image": "nginx:1.27"}}},
	}}
	key := func(id string) string { return strings.NewReplacer("/", ".", "_", "-").Replace(id) }
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := c.apply(probe, true); err != nil {
			t.Fatalf("audit mode refused the probe: %v", err)
		}
		if a := auditAnnotations(t, "pods", ns, "probe"); a[key("podsecurity/hostNamespaces")] != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no audit annotation from the webhook for the probe pod")
		}
		time.Sleep(250 * time.Millisecond)
	}
	c.warnings()

	want := scanIDs(objs)
	for _, o := range objs {
		if o.Kind != "Deployment" || o.Name != "api" {
			continue
		}
		u := toU(t, o)
		u.SetNamespace(ns)
		if err := c.apply(u, false); err != nil {
			t.Fatalf("audit mode refused %s: %v", o.Ref, err)
		}
		if ws := c.warnings(); slices.ContainsFunc(ws, func(s string) bool { return idRE.MatchString(s) }) {
			t.Errorf("audit mode sent warnings to the client: %q", ws)
		}
		var got map[string]string
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			if got = auditAnnotations(t, "deployments", ns, o.Name); got != nil {
				break
			}
		}
		t.Logf("audit annotations: %q", got)
		if !strings.HasPrefix(got[key("podsecurity/hostNamespaces")], "high: ") {
			t.Errorf("no podsecurity/hostNamespaces annotation with its severity, got %q", got)
		}
		// What the object alone decides (Pod Security, images) is the same wherever it is:
		// those annotations are exactly scan's findings. The rest depends on the namespace
		// (this one lacks the example's RoleBindings and LimitRanges), so only its keys are
		// checked against scan's checks in general.
		objectOnly := func(k string) bool { return strings.HasPrefix(k, "podsecurity.") || strings.HasPrefix(k, "images.") }
		keys := map[string]bool{}
		for _, id := range want[o.Ref] {
			keys[key(id)] = true
			if objectOnly(key(id)) && got[key(id)] == "" {
				t.Errorf("scan reports %s on %s, the audit log has no annotation for it", id, o.Ref)
			}
		}
		for k := range got {
			if objectOnly(k) && !keys[k] {
				t.Errorf("annotation %s is no check scan reports on %s (scan: %v)", k, o.Ref, want[o.Ref])
			}
			if !slices.ContainsFunc(check.All(), func(c *check.Check) bool { return key(c.ID) == k }) {
				t.Errorf("annotation %s names no check", k)
			}
		}
	}
}
