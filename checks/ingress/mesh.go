package ingress

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
)

// meshSeverity returns the configured severity of the mesh checks; ok is false when they
// are turned off.
func meshSeverity(p *check.Pass) (check.Severity, bool) {
	s := strings.TrimSpace(p.Config.Ingress.MeshSeverity)
	switch strings.ToLower(s) {
	case "":
		return check.Info, true
	case "off":
		return 0, false
	}
	sev, err := check.ParseSeverity(s)
	if err != nil {
		// config.Load validates the value; a config built in code falls back to info.
		return check.Info, true
	}
	return sev, true
}

// Labels and annotations with which Istio and Linkerd select the pods they mesh.
const (
	istioInjection      = "istio-injection"         // namespace label: enabled | disabled
	istioRev            = "istio.io/rev"            // namespace or pod label: a revision
	istioDataplane      = "istio.io/dataplane-mode" // namespace or pod label: ambient | none
	istioSidecarInject  = "sidecar.istio.io/inject" // pod label (or legacy annotation): "true" | "false"
	linkerdInject       = "linkerd.io/inject"       // namespace or pod annotation: enabled | ingress | disabled
	istioDefaultMTLS    = "PERMISSIVE"
	peerAuthentication  = "PeerAuthentication"
	istioSecurityPrefix = "security.istio.io/"
)

// peerAuth is an Istio PeerAuthentication.
type peerAuth struct {
	obj      *inventory.Object
	selector labels.Selector // nil: the whole namespace (or mesh, in the root namespace)
	mode     string          // STRICT, PERMISSIVE, DISABLE, or "" (UNSET: inherit)
	// looser are ports that portLevelMtls sets to something other than STRICT.
	looser []string
}

// meshView is what the inventory says about encryption of pod traffic.
type meshView struct {
	inv  *inventory.Inventory
	root string
	// cni names the CNI encryption that covers all pod traffic between nodes, or "".
	cni      string
	meshWide *peerAuth
	nsWide   map[string]*peerAuth
	workload map[string][]*peerAuth
}

func newMeshView(p *check.Pass) *meshView {
	m := &meshView{inv: p.Inv, root: p.Config.Ingress.IstioRoot(), nsWide: map[string]*peerAuth{}, workload: map[string][]*peerAuth{}}
	m.cni = cniEncryption(p.Inv)
	for _, o := range p.Inv.ByKind(peerAuthentication) {
		if !strings.HasPrefix(o.APIVersion, istioSecurityPrefix) {
			continue
		}
		pa := readPeerAuth(o)
		if pa == nil {
			continue
		}
		ns := o.EffectiveNamespace()
		switch {
		case pa.selector != nil:
			m.workload[ns] = append(m.workload[ns], pa)
		case ns == m.root:
			m.meshWide = older(m.meshWide, pa)
		default:
			m.nsWide[ns] = older(m.nsWide[ns], pa)
		}
	}
	return m
}

// older keeps one of two policies of the same scope; Istio applies the oldest, and without
// timestamps the first read stands.
func older(a, b *peerAuth) *peerAuth {
	if a == nil {
		return b
	}
	ta, tb := a.obj.Meta.GetCreationTimestamp(), b.obj.Meta.GetCreationTimestamp()
	if !tb.IsZero() && (ta.IsZero() || tb.Before(&ta)) {
		return b
	}
	return a
}

func readPeerAuth(o *inventory.Object) *peerAuth {
	u, ok := o.Unstructured()
	if !ok {
		return nil
	}
	pa := &peerAuth{obj: o}
	pa.mode, _, _ = unstructured.NestedString(u.Object, "spec", "mtls", "mode")
	if pa.mode == "UNSET" {
		pa.mode = ""
	}
	if sm, ok, _ := unstructured.NestedMap(u.Object, "spec", "selector"); ok {
		var ls metav1.LabelSelector
		if runtime.DefaultUnstructuredConverter.FromUnstructured(sm, &ls) == nil && len(ls.MatchLabels) > 0 {
			pa.selector = labels.SelectorFromSet(ls.MatchLabels)
		}
	}
	ports, _, _ := unstructured.NestedMap(u.Object, "spec", "portLevelMtls")
	for port, v := range ports {
		if pm, ok := v.(map[string]any); ok {
			if mode, _ := pm["mode"].(string); mode != "" && mode != "STRICT" && mode != "UNSET" {
				pa.looser = append(pa.looser, port+" "+mode)
			}
		}
	}
	sort.Strings(pa.looser)
	return pa
}

// cniEncryption finds CNI settings that encrypt all pod traffic between nodes: Cilium's
// WireGuard or IPsec (cilium-config ConfigMap) and Calico's WireGuard (FelixConfiguration).
func cniEncryption(inv *inventory.Inventory) string {
	for _, o := range inv.ByKind("ConfigMap") {
		cm, ok := o.Obj.(*corev1.ConfigMap)
		if !ok || o.Name != ciliumConfig {
			continue
		}
		for _, k := range []string{"enable-wireguard", "enable-ipsec"} {
			if strings.EqualFold(cm.Data[k], "true") {
				return fmt.Sprintf("Cilium %s (ConfigMap %s/%s)", k, o.EffectiveNamespace(), o.Name)
			}
		}
	}
	for _, o := range inv.ByKind("FelixConfiguration") {
		u, ok := o.Unstructured()
		if !ok || !strings.Contains(o.APIVersion, "projectcalico.org/") {
			continue
		}
		if on, _, _ := unstructured.NestedBool(u.Object, "spec", "wireguardEnabled"); on {
			return "Calico WireGuard (FelixConfiguration " + o.Name + ")"
		}
	}
	return ""
}

// skipNamespace reports namespaces of the platform itself, whose pods the mesh does not
// carry: Kubernetes' own and the meshes' control planes.
func (m *meshView) skipNamespace(ns string) bool {
	return strings.HasPrefix(ns, "kube-") || ns == m.root || linkerdNamespaces[ns]
}

// linkerdNamespaces are where Linkerd and its extensions install themselves.
var linkerdNamespaces = map[string]bool{
	"linkerd": true, "linkerd-cni": true, "linkerd-viz": true, "linkerd-jaeger": true,
	"linkerd-multicluster": true, "linkerd-smi": true,
}

// membership says how a pod template is meshed.
type membership struct {
	istio, linkerd bool
	// optOut is the label or annotation that takes the pods out of their namespace's mesh,
	// with its path; empty when they are not opted out.
	optOut, optOutPath string
}

func (m *meshView) member(t inventory.PodTemplate) membership {
	var ns map[string]string
	var nsAnn map[string]string
	if o := m.inv.Namespace(t.Namespace()); o != nil {
		ns, nsAnn = o.Labels(), o.Annotations()
	}
	pl, pa := t.Meta.Labels, t.Meta.Annotations
	var r membership
	// Linkerd: the pod's annotation overrides the namespace's.
	switch v, ok := pa[linkerdInject]; {
	case ok && (v == "enabled" || v == "ingress"):
		r.linkerd = true
	case ok && v == "disabled":
		if nsAnn[linkerdInject] == "enabled" {
			r.optOut, r.optOutPath = linkerdInject+": disabled", t.MetaPath+".annotations."+linkerdInject
		}
	case nsAnn[linkerdInject] == "enabled":
		r.linkerd = true
	}
	// Istio: a pod's own label (or legacy annotation) decides, then the namespace's labels.
	nsIstio := ns[istioInjection] == "enabled" || (ns[istioRev] != "" && ns[istioInjection] != "disabled") || ns[istioDataplane] == "ambient"
	podInject, podSet := pl[istioSidecarInject]
	podPath := t.MetaPath + ".labels." + istioSidecarInject
	if !podSet {
		podInject, podSet = pa[istioSidecarInject]
		podPath = t.MetaPath + ".annotations." + istioSidecarInject
	}
	switch {
	case t.Spec.HostNetwork:
	case podSet && podInject == "false":
		if nsIstio {
			r.optOut, r.optOutPath = istioSidecarInject+": \"false\"", podPath
		}
	case pl[istioDataplane] == "none":
		if nsIstio {
			r.optOut, r.optOutPath = istioDataplane+": none", t.MetaPath+".labels."+istioDataplane
		}
	case podSet && podInject == "true", pl[istioRev] != "", pl[istioDataplane] == "ambient", nsIstio:
		r.istio = true
	}
	return r
}

// mode returns the Istio mTLS mode for a meshed pod template and the policy that sets it
// (nil: Istio's default, PERMISSIVE).
func (m *meshView) mode(t inventory.PodTemplate) (string, *peerAuth) {
	set := labels.Set(t.Labels())
	for _, pa := range m.workload[t.Namespace()] {
		if pa.mode != "" && pa.selector.Matches(set) {
			return pa.mode, pa
		}
	}
	if pa := m.nsWide[t.Namespace()]; pa != nil && pa.mode != "" {
		return pa.mode, pa
	}
	if pa := m.meshWide; pa != nil && pa.mode != "" {
		return pa.mode, pa
	}
	return istioDefaultMTLS, nil
}

// judged groups the pod templates the mesh checks judge by namespace, sorted.
//
// A re-run for some namespaces (Pass.Namespaces) judges those alone, unless the mesh-wide
// policy's findings are wanted: they name workloads of every namespace.
func (m *meshView) judged(p *check.Pass) ([]string, map[string][]inventory.PodTemplate) {
	by := map[string][]inventory.PodTemplate{}
	var names []string
	only := p.Namespaces
	if only[m.root] {
		only = nil
	}
	for _, t := range check.PodTemplatesIn(m.inv, only) {
		ns := t.Namespace()
		if m.skipNamespace(ns) || t.Spec.HostNetwork {
			continue
		}
		if _, ok := by[ns]; !ok {
			names = append(names, ns)
		}
		by[ns] = append(by[ns], t)
	}
	sort.Strings(names)
	return names, by
}

// anchor is where a namespace-wide finding goes: the Namespace object, else the metadata of
// the namespace's first workload.
func (m *meshView) anchor(ns string, ts []inventory.PodTemplate) (*inventory.Object, string) {
	if o := m.inv.Namespace(ns); o != nil {
		return o, "metadata"
	}
	return ts[0].Owner, ts[0].MetaPath
}

// owners names the workloads of ts for messages ("Deployment shop/web"), at most three.
func owners(ts []inventory.PodTemplate) string {
	var out []string
	for i, t := range ts {
		if i == 3 {
			out = append(out, fmt.Sprintf("and %d more", len(ts)-3))
			break
		}
		out = append(out, t.Owner.Kind+" "+t.Namespace()+"/"+t.Owner.Name)
	}
	return strings.Join(out, ", ")
}

// verb picks the singular or plural form for the workloads of ts.
func verb(ts []inventory.PodTemplate, one, many string) string {
	if len(ts) == 1 {
		return one
	}
	return many
}

// PodTrafficUnencrypted reports namespaces and workloads whose pod-to-pod traffic is not
// encrypted.
var PodTrafficUnencrypted = &check.Check{
	ID:    "ingress/pod-traffic-unencrypted",
	Title: "Pod-to-pod traffic is not encrypted",
	Doc: "Traffic between pods crosses the node network in clear text unless a service mesh " +
		"wraps it in mutual TLS or the CNI encrypts it: anyone who can capture packets on a " +
		"node or the underlying network (a compromised host-network pod, a cloud network tap) " +
		"reads it. The check finds Istio (namespace label istio-injection=enabled or " +
		"istio.io/rev, ambient mode, pod label sidecar.istio.io/inject) with its " +
		"PeerAuthentication mode, Linkerd (linkerd.io/inject annotations; all meshed traffic is " +
		"mTLS), and CNI encryption (Cilium WireGuard or IPsec in cilium-config, Calico " +
		"WireGuard in FelixConfiguration). Whether in-cluster traffic must be encrypted is a " +
		"policy decision: findings are info unless ingress.meshSeverity says otherwise (off " +
		"turns them off). Kubernetes and mesh system namespaces and host-network pods are not " +
		"judged. Fix it by meshing the namespace with mTLS STRICT, or by turning on CNI " +
		"encryption.",
	Severity:    check.Info,
	References:  []string{refNSANet, refCISTransit, refMITRESniff, "Istio docs: PeerAuthentication", "Linkerd docs: Automatic mTLS"},
	Remediation: "Mesh the namespace (Istio: label istio-injection=enabled with a STRICT PeerAuthentication; Linkerd: annotate linkerd.io/inject: enabled), or enable WireGuard encryption in the CNI.",
	Kinds:       []string{"Namespace", check.Workloads, peerAuthentication},
	Reads:       meshReads,
	Scope:       check.ScopeCluster,
	Partition:   byMesh,
	Run: func(p *check.Pass) {
		sev, on := meshSeverity(p)
		if !on {
			return
		}
		m := newMeshView(p)
		if m.cni != "" {
			return
		}
		report := func(o *inventory.Object, path, format string, args ...any) {
			p.Report(check.Diagnostic{Object: o, Path: path, Message: fmt.Sprintf(format, args...), Severity: sev})
		}
		names, by := m.judged(p)
		disabled := map[*peerAuth][]inventory.PodTemplate{}
		var disabledOrder []*peerAuth
		for _, ns := range names {
			ts := by[ns]
			var plain []inventory.PodTemplate
			for _, t := range ts {
				mb := m.member(t)
				switch {
				case mb.linkerd:
				case mb.istio:
					if mode, pa := m.mode(t); mode == "DISABLE" {
						if _, ok := disabled[pa]; !ok {
							disabledOrder = append(disabledOrder, pa)
						}
						disabled[pa] = append(disabled[pa], t)
					}
				case mb.optOut != "":
					report(t.Owner, mb.optOutPath, "%s %s/%s opts out of the service mesh (%s): its traffic is not encrypted in transit",
						t.Owner.Kind, ns, t.Owner.Name, mb.optOut)
				default:
					plain = append(plain, t)
				}
			}
			switch {
			case len(plain) == 0:
			case len(plain) == len(ts):
				o, path := m.anchor(ns, ts)
				report(o, path, "pod traffic in namespace %s is not encrypted in transit: no service mesh injects its workloads (%s) and no CNI encryption was found",
					ns, owners(ts))
			default:
				for _, t := range plain {
					report(t.Owner, t.MetaPath, "%s %s/%s is not in the service mesh that carries its namespace's other workloads: its traffic is not encrypted in transit",
						t.Owner.Kind, ns, t.Owner.Name)
				}
			}
		}
		for _, pa := range disabledOrder {
			ts := disabled[pa]
			report(pa.obj, "spec.mtls.mode", "PeerAuthentication %s/%s sets mTLS DISABLE: %s %s plain text",
				pa.obj.EffectiveNamespace(), pa.obj.Name, owners(ts), verb(ts, "sends and accepts", "send and accept"))
		}
	},
}

// ciliumConfig names Cilium's ConfigMap, which says whether it encrypts.
const ciliumConfig = "cilium-config"

// byMesh partitions the mesh checks. A workload's encryption depends on its own labels,
// its namespace's labels and PeerAuthentications, the mesh-wide PeerAuthentication in the
// root namespace and the CNI's configuration (the cilium-config ConfigMap, and
// FelixConfigurations, which are cluster-scoped). Findings go on workloads, Namespaces and
// PeerAuthentications; only those of a mesh-wide policy name workloads of several
// namespaces. So a change in a namespace affects it and, when the root namespace holds
// PeerAuthentications, the root; a change in the root, or in a namespace that holds a
// cilium-config, affects every namespace.
var byMesh = &check.Partition{
	Name:  "mesh",
	Kinds: []string{"Namespace", check.Workloads, peerAuthentication, "ConfigMap"},
	Affected: func(env check.Env, nss []string) ([]string, bool) {
		root := (&config.Ingress{}).IstioRoot()
		if env.Config != nil {
			root = env.Config.Ingress.IstioRoot()
		}
		if slices.Contains(nss, root) {
			return nil, true
		}
		// Of the ConfigMaps, the CNI's (cilium-config, in any namespace) says for all.
		for _, ns := range nss {
			if env.Inv.Get("ConfigMap", ns, ciliumConfig) != nil {
				return nil, true
			}
		}
		for _, o := range env.Inv.ByKind(peerAuthentication) {
			if o.EffectiveNamespace() == root {
				return []string{root}, false
			}
		}
		return nil, false
	},
}

// MTLSNotStrict reports Istio-meshed workloads that accept plain text (PERMISSIVE).
var MTLSNotStrict = &check.Check{
	ID:    "ingress/mtls-not-strict",
	Title: "Istio mTLS is PERMISSIVE",
	Doc: "In PERMISSIVE mode (Istio's default when no PeerAuthentication says otherwise) " +
		"meshed pods talk mTLS to each other but still accept plain text, so any pod outside " +
		"the mesh, or an attacker on the network, can reach them unencrypted and " +
		"unauthenticated, and AuthorizationPolicies based on peer identity do not apply to " +
		"that traffic. The mode is resolved as Istio does: a workload-selector policy, then " +
		"the namespace's policy, then the mesh-wide policy in the root namespace " +
		"(ingress.istioRootNamespace, istio-system by default); portLevelMtls exceptions " +
		"count too. Severity follows ingress.meshSeverity (info by default). Fix it with a " +
		"PeerAuthentication in STRICT mode once every client is meshed.",
	Severity:   check.Info,
	References: []string{refNSANet, refCISTransit, refMITREAiTM, "Istio docs: PeerAuthentication (mutual TLS migration)"},
	Remediation: "Apply a PeerAuthentication with spec.mtls.mode: STRICT mesh-wide (in istio-system) or in the namespace, " +
		"after every client is in the mesh.",
	Kinds:     []string{"Namespace", check.Workloads, peerAuthentication},
	Reads:     meshReads,
	Scope:     check.ScopeCluster,
	Partition: byMesh,
	Run: func(p *check.Pass) {
		sev, on := meshSeverity(p)
		if !on {
			return
		}
		m := newMeshView(p)
		report := func(o *inventory.Object, path, format string, args ...any) {
			p.Report(check.Diagnostic{Object: o, Path: path, Message: fmt.Sprintf(format, args...), Severity: sev})
		}
		names, by := m.judged(p)
		byPolicy := map[*peerAuth][]inventory.PodTemplate{}
		var order []*peerAuth
		for _, ns := range names {
			var implicit []inventory.PodTemplate
			for _, t := range by[ns] {
				if !m.member(t).istio {
					continue
				}
				mode, pa := m.mode(t)
				switch {
				case pa == nil:
					implicit = append(implicit, t)
				case mode == "PERMISSIVE" || (mode == "STRICT" && len(pa.looser) > 0):
					if _, ok := byPolicy[pa]; !ok {
						order = append(order, pa)
					}
					byPolicy[pa] = append(byPolicy[pa], t)
				}
			}
			if len(implicit) > 0 {
				o, path := m.anchor(ns, implicit)
				report(o, path, "no PeerAuthentication sets mTLS for namespace %s, so Istio's default PERMISSIVE lets %s accept plain text",
					ns, owners(implicit))
			}
		}
		for _, pa := range order {
			ts := byPolicy[pa]
			if pa.mode == "STRICT" {
				report(pa.obj, "spec.portLevelMtls", "PeerAuthentication %s/%s is STRICT except on ports %s, where %s %s plain text",
					pa.obj.EffectiveNamespace(), pa.obj.Name, strings.Join(pa.looser, ", "), owners(ts), verb(ts, "accepts", "accept"))
				continue
			}
			report(pa.obj, "spec.mtls.mode", "PeerAuthentication %s/%s sets mTLS PERMISSIVE: %s %s plain text",
				pa.obj.EffectiveNamespace(), pa.obj.Name, owners(ts), verb(ts, "accepts", "accept"))
		}
	},
}
