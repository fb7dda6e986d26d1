package secrets

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// External secret managers, as findings name them.
const (
	mgrESO   = "External Secrets Operator"
	mgrCSI   = "Secrets Store CSI driver"
	mgrVault = "Vault agent injector"
	mgrVSO   = "Vault Secrets Operator"
	mgrAKV   = "akv2k8s"
)

// csiDriver is the Secrets Store CSI driver's name in pod volumes.
const csiDriver = "secrets-store.csi.k8s.io"

// managerKinds are the custom resources of each manager, by API group.
var managerKinds = map[string]struct {
	manager string
	// target is the field path of the Secret the resource writes, "" for none.
	target []string
}{
	"external-secrets.io/ExternalSecret":             {mgrESO, []string{"spec", "target", "name"}},
	"external-secrets.io/ClusterExternalSecret":      {mgrESO, nil},
	"external-secrets.io/SecretStore":                {mgrESO, nil},
	"external-secrets.io/ClusterSecretStore":         {mgrESO, nil},
	"external-secrets.io/PushSecret":                 {mgrESO, nil},
	"secrets-store.csi.x-k8s.io/SecretProviderClass": {mgrCSI, nil},
	"spv.no/AzureKeyVaultSecret":                     {mgrAKV, []string{"spec", "output", "secret", "name"}},
	"secrets.hashicorp.com/VaultStaticSecret":        {mgrVSO, []string{"spec", "destination", "name"}},
	"secrets.hashicorp.com/VaultDynamicSecret":       {mgrVSO, []string{"spec", "destination", "name"}},
	"secrets.hashicorp.com/VaultPKISecret":           {mgrVSO, []string{"spec", "destination", "name"}},
}

// managerKindNames are the kinds of managerKinds, sorted.
func managerKindNames() []string {
	var out []string
	for gk := range managerKinds {
		_, k, _ := strings.Cut(gk, "/")
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// managerReads are the kinds findManagers reads.
func managerReads() []string {
	return append([]string{check.Workloads, "Secret", "Namespace"}, managerKindNames()...)
}

// ownerManagers are the owner kinds that mark a Secret as written by a manager.
var ownerManagers = map[string]string{
	"ExternalSecret": mgrESO, "AzureKeyVaultSecret": mgrAKV, "SecretProviderClassPodStatus": mgrCSI,
	"VaultStaticSecret": mgrVSO, "VaultDynamicSecret": mgrVSO, "VaultPKISecret": mgrVSO,
}

// use is one object that uses a manager: a custom resource or a workload.
type use struct {
	manager string
	obj     *inventory.Object
	what    string // "ExternalSecret db", "Deployment api (CSI volume)"
}

// managed is what the inventory says about external secret managers.
type managed struct {
	uses []use
	// secrets maps "ns/name" of a Secret a manager writes to the manager and its resource.
	secrets map[string]string
	// bootstrap are the Secrets a manager reads to authenticate to its store: native by
	// necessity.
	bootstrap map[string]bool
}

func groupOf(apiVersion string) string {
	g, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return g
}

func nsName(ns, name string) string { return ns + "/" + name }

// managersOf is findManagers once per inventory: two checks ask, on every change the
// monitor evaluates.
func managersOf(inv *inventory.Inventory) *managed {
	return inv.Memo(managersKey{}, func() any { return findManagers(inv) }).(*managed)
}

type managersKey struct{}

// findManagers reads the manager resources and workloads of the inventory, and its Secrets
// when a manager is in use.
func findManagers(inv *inventory.Inventory) *managed {
	m := &managed{secrets: map[string]string{}, bootstrap: map[string]bool{}}
	for _, o := range managerObjects(inv) {
		u, ok := o.Unstructured()
		if !ok {
			continue
		}
		mk, ok := managerKinds[groupOf(o.APIVersion)+"/"+o.Kind]
		if !ok {
			continue
		}
		m.uses = append(m.uses, use{mk.manager, o, o.Kind + " " + o.Name})
		ns := o.EffectiveNamespace()
		if mk.target != nil {
			target, _, _ := unstructured.NestedString(u.Object, mk.target...)
			if target == "" && o.Kind == "ExternalSecret" {
				target = o.Name // ESO's default target is the ExternalSecret's name
			}
			if target != "" {
				m.secrets[nsName(ns, target)] = o.Kind + " " + o.Name
			}
		}
		switch o.Kind {
		case "SecretProviderClass":
			objs, _, _ := unstructured.NestedSlice(u.Object, "spec", "secretObjects")
			for _, so := range objs {
				if mo, ok := so.(map[string]any); ok {
					if name, _ := mo["secretName"].(string); name != "" {
						m.secrets[nsName(ns, name)] = o.Kind + " " + o.Name
					}
				}
			}
		case "SecretStore", "ClusterSecretStore":
			if spec, ok := u.Object["spec"].(map[string]any); ok {
				secretRefs(spec, false, ns, m.bootstrap)
			}
		}
	}
	for _, t := range inv.PodTemplates() {
		if v := t.Meta.Annotations["vault.hashicorp.com/agent-inject"]; strings.EqualFold(v, "true") {
			m.uses = append(m.uses, use{mgrVault, t.Owner, t.Owner.Kind + " " + t.Owner.Name})
		}
		for _, v := range t.Spec.Volumes {
			if v.CSI == nil || v.CSI.Driver != csiDriver {
				continue
			}
			m.uses = append(m.uses, use{mgrCSI, t.Owner, t.Owner.Kind + " " + t.Owner.Name + " (CSI volume " + v.Name + ")"})
			if r := v.CSI.NodePublishSecretRef; r != nil {
				m.bootstrap[nsName(t.Namespace(), r.Name)] = true
			}
		}
	}
	if len(m.uses) == 0 {
		// No manager in use: both checks stop here, and the monitor asks on every change.
		return m
	}
	for _, o := range inv.ByKind("Secret") {
		if mgr, what := managedBy(o); mgr != "" {
			if _, ok := m.secrets[nsName(o.EffectiveNamespace(), o.Name)]; !ok {
				m.secrets[nsName(o.EffectiveNamespace(), o.Name)] = what
			}
		}
	}
	return m
}

// managerObjects is every object when the inventory holds one of managerKinds, in the
// inventory's order, which the reports follow; nil when it holds none, as most clusters do,
// so that the monitor's re-runs need not walk every object for nothing.
func managerObjects(inv *inventory.Inventory) []*inventory.Object {
	for gk := range managerKinds {
		if len(inv.ByKind(gk[strings.IndexByte(gk, '/')+1:])) > 0 {
			return inv.All()
		}
	}
	return nil
}

// secretRefs collects the Secrets named under keys ending in secretRef (a SecretStore's
// provider credentials): {name, namespace?}.
func secretRefs(v any, under bool, ns string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if under {
			if name, _ := x["name"].(string); name != "" {
				rns, _ := x["namespace"].(string)
				if rns == "" {
					rns = ns
				}
				out[nsName(rns, name)] = true
			}
		}
		for k, v := range x {
			secretRefs(v, strings.HasSuffix(strings.ToLower(k), "secretref"), ns, out)
		}
	case []any:
		for _, v := range x {
			secretRefs(v, under, ns, out)
		}
	}
}

// managedBy reads the marks managers leave on the Secrets they write.
func managedBy(o *inventory.Object) (manager, what string) {
	for _, r := range o.Meta.GetOwnerReferences() {
		if mgr, ok := ownerManagers[r.Kind]; ok {
			return mgr, r.Kind + " " + r.Name
		}
	}
	labels, annotations := o.Labels(), o.Annotations()
	switch {
	case labels["secrets-store.csi.k8s.io/managed"] == "true":
		return mgrCSI, "the Secrets Store CSI driver"
	case labels["reconcile.external-secrets.io/created-by"] != "" || annotations["reconcile.external-secrets.io/data-hash"] != "":
		return mgrESO, "External Secrets Operator"
	}
	return "", ""
}

// credentialTypes are the Secret types that hold credentials people manage; TLS Secrets
// (usually from cert-manager), service account and bootstrap tokens, and Helm's release
// records are left out.
var credentialTypes = map[corev1.SecretType]bool{
	"": true, corev1.SecretTypeOpaque: true, corev1.SecretTypeBasicAuth: true, corev1.SecretTypeSSHAuth: true,
	corev1.SecretTypeDockerConfigJson: true, corev1.SecretTypeDockercfg: true,
}

// nativeCredential reports whether o is a Secret holding credentials that no manager
// writes: a credential type, no owner (operators' generated Secrets have one), not a
// manager's own bootstrap credentials, and with data (a live cluster's Secrets are read
// without their values, so there every one counts).
func (m *managed) nativeCredential(o *inventory.Object, live bool) bool {
	s, ok := o.Obj.(*corev1.Secret)
	if !ok || !credentialTypes[s.Type] || len(s.OwnerReferences) > 0 {
		return false
	}
	key := nsName(o.EffectiveNamespace(), o.Name)
	if _, ok := m.secrets[key]; ok || m.bootstrap[key] {
		return false
	}
	return live || len(s.Data) > 0 || len(s.StringData) > 0
}

// managers lists the managers in use, sorted.
func (m *managed) managers() []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range m.uses {
		if !seen[u.manager] {
			seen[u.manager] = true
			out = append(out, u.manager)
		}
	}
	sort.Strings(out)
	return out
}

// ExternalManagers summarizes, per namespace, external secret managers and native Secrets.
var ExternalManagers = &check.Check{
	ID:    "secrets/external-managers",
	Title: "External secret managers in use, per namespace",
	Doc: "An external secret manager keeps credentials out of manifests, git and etcd backups, " +
		"and rotates them in one place. This informational check reports, for every namespace " +
		"of a cluster that uses one, which managers its workloads use — External Secrets " +
		"Operator (ExternalSecret, SecretStore, ClusterSecretStore), the Secrets Store CSI " +
		"driver (SecretProviderClass, CSI volumes of secrets-store.csi.k8s.io), the Vault agent " +
		"injector (vault.hashicorp.com/agent-inject), Vault Secrets Operator, akv2k8s " +
		"(AzureKeyVaultSecret) — and how many of its Secrets a manager writes and how many are " +
		"native.",
	Severity:    check.Info,
	References:  []string{refCISExternal, refSecretsDocs},
	Remediation: "Move the native Secrets that hold credentials to the external manager.",
	Kinds:       append([]string{"Namespace", "Secret", check.Workloads}, managerKindNames()...),
	Reads:       managerReads(),
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		m := managersOf(p.Inv)
		if len(m.uses) == 0 {
			return
		}
		live := p.Facts != nil
		for _, ns := range p.Inv.Namespaces() {
			counts := map[string]map[string]int{} // manager → what → count
			var first *inventory.Object
			for _, u := range m.uses {
				if u.obj.EffectiveNamespace() != ns {
					continue
				}
				if first == nil {
					first = u.obj
				}
				if counts[u.manager] == nil {
					counts[u.manager] = map[string]int{}
				}
				what := u.obj.Kind
				if u.manager == mgrVault || strings.Contains(u.what, "(CSI volume") {
					what = "workload"
				}
				counts[u.manager][what]++
			}
			var managedN, nativeN, credN int
			for _, o := range p.Inv.InNamespace(ns) {
				if o.Kind != "Secret" || o.APIVersion != "v1" {
					continue
				}
				if first == nil {
					first = o
				}
				if _, ok := m.secrets[nsName(ns, o.Name)]; ok {
					managedN++
					continue
				}
				nativeN++
				if m.nativeCredential(o, live) {
					credN++
				}
			}
			if first == nil {
				continue
			}
			var used []string
			for _, mgr := range sortedMapKeys(counts) {
				var parts []string
				for _, what := range sortedMapKeys(counts[mgr]) {
					parts = append(parts, fmt.Sprintf("%d %s", counts[mgr][what], plural(counts[mgr][what], what)))
				}
				used = append(used, mgr+" ("+strings.Join(parts, ", ")+")")
			}
			usedS := "none"
			if len(used) > 0 {
				usedS = strings.Join(used, "; ")
			}
			obj := p.Inv.Namespace(ns)
			if obj == nil {
				obj = first
			}
			p.Reportf(obj, "metadata.name", "namespace %s: external secret managers used: %s; Secrets: %d written by a manager, %d native (%d holding credentials)",
				ns, usedS, managedN, nativeN, credN)
		}
	},
}

// NativeWithExternalManager reports native credential Secrets in a cluster that has an
// external manager.
var NativeWithExternalManager = &check.Check{
	ID:    "secrets/native-with-external-manager",
	Title: "Native Secret holds credentials although the cluster has an external secret manager",
	Doc: "When a cluster already runs an external secret manager, a credential kept as a native " +
		"Secret (in manifests or created by hand) escapes it: it is not rotated with the others, " +
		"lives in git or in someone's shell history, and is missed by the manager's audit. The " +
		"check reports Secrets of the types people put credentials in (Opaque, basic-auth, " +
		"ssh-auth, docker config) that no manager writes, have no owner, and are not the " +
		"credentials a manager itself authenticates with (a SecretStore's secretRef, a CSI " +
		"volume's nodePublishSecretRef). TLS Secrets and service account tokens are left out.",
	Severity:    check.Low,
	References:  []string{refCISExternal, refSecretsDocs},
	Remediation: "Store the credential in the external manager and let it write the Secret (an ExternalSecret, a SecretProviderClass secretObject, ...).",
	Kinds:       []string{"Secret"},
	Reads:       managerReads(),
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		m := managersOf(p.Inv)
		mgrs := m.managers()
		if len(mgrs) == 0 {
			return
		}
		live := p.Facts != nil
		for _, o := range p.Inv.ByKind("Secret") {
			if o.APIVersion == "v1" && m.nativeCredential(o, live) {
				p.Reportf(o, "metadata.name", "Secret %s/%s holds credentials as a native Secret while the cluster uses %s",
					o.EffectiveNamespace(), o.Name, strings.Join(mgrs, ", "))
			}
		}
	},
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
