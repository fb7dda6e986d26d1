package generate

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/inventory"
)

// mention is a host (and maybe port) named in a workload's configuration, and where.
type mention struct {
	host string
	port int    // 0 when not given
	why  string // "env DB_HOST", "ConfigMap frontend-nginx key default.conf"
}

// text is one piece of configuration to search, and where it came from.
type text struct {
	s   string
	why string
}

// texts collects what a workload is configured with: environment values (literal and from
// ConfigMaps), ConfigMaps mounted as files, and container commands and arguments.
// Secrets are not read: their values must not leave them, not even into comments.
func texts(inv *inventory.Inventory, t *inventory.PodTemplate) []text {
	ns := t.Namespace()
	configMap := func(name string) *corev1.ConfigMap {
		o := inv.Get("ConfigMap", ns, name)
		if o == nil {
			return nil
		}
		cm, _ := o.Obj.(*corev1.ConfigMap)
		return cm
	}
	var out []text
	addMap := func(cm *corev1.ConfigMap, keys []string, how string) {
		if cm == nil {
			return
		}
		if keys == nil {
			for k := range cm.Data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
		}
		for _, k := range keys {
			if v, ok := cm.Data[k]; ok {
				out = append(out, text{v, "ConfigMap " + cm.Name + " key " + k + how})
			}
		}
	}
	for _, c := range t.Containers() {
		ctr := c.Container
		for _, ev := range ctr.Env {
			switch {
			case ev.Value != "":
				out = append(out, text{ev.Value, "env " + ev.Name})
			case ev.ValueFrom != nil && ev.ValueFrom.ConfigMapKeyRef != nil:
				ref := ev.ValueFrom.ConfigMapKeyRef
				addMap(configMap(ref.Name), []string{ref.Key}, " (env "+ev.Name+")")
			}
		}
		for _, ef := range ctr.EnvFrom {
			if ef.ConfigMapRef != nil {
				addMap(configMap(ef.ConfigMapRef.Name), nil, " (envFrom)")
			}
		}
		for _, a := range ctr.Command {
			out = append(out, text{a, "command of container " + ctr.Name})
		}
		for _, a := range ctr.Args {
			out = append(out, text{a, "args of container " + ctr.Name})
		}
	}
	items := func(ks []corev1.KeyToPath) []string {
		if len(ks) == 0 {
			return nil
		}
		var out []string
		for _, k := range ks {
			out = append(out, k.Key)
		}
		return out
	}
	for _, v := range t.Spec.Volumes {
		if v.ConfigMap != nil {
			addMap(configMap(v.ConfigMap.Name), items(v.ConfigMap.Items), " (volume "+v.Name+")")
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil {
					addMap(configMap(src.ConfigMap.Name), items(src.ConfigMap.Items), " (volume "+v.Name+")")
				}
			}
		}
	}
	return out
}

// separator says whether r separates the tokens of a piece of configuration: ASCII white
// space (as \s in a regular expression: tab, newline, form feed, carriage return, space),
// quotes, and the punctuation around values in configuration formats.
func separator(r rune) bool {
	switch r {
	case '\t', '\n', '\f', '\r', ' ', '"', '\'', '`', ',', ';', '(', ')', '{', '}', '<', '>', '|', '=':
		return true
	}
	return false
}

// isHost says whether s is a DNS name of lower-case labels: letters, digits and inner
// hyphens, separated by dots.
func isHost(s string) bool {
	if s == "" {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// schemePorts are the default ports of URL schemes, for URLs that name none.
var schemePorts = map[string]int{
	"http": 80, "https": 443, "ws": 80, "wss": 443, "grpc": 443,
	"postgres": 5432, "postgresql": 5432, "mysql": 3306, "redis": 6379, "rediss": 6379,
	"mongodb": 27017, "amqp": 5672, "amqps": 5671, "nats": 4222, "kafka": 9092,
	"memcached": 11211, "ldap": 389, "ldaps": 636, "smtp": 25,
}

// mentions finds the hosts a piece of configuration names. A bare name ("db") counts only
// when it is the whole value, or has a scheme or a port: in a config file, a lone word is
// more often a keyword than a host.
func mentions(t text) []mention {
	trimmed := strings.TrimSpace(t.s)
	whole := trimmed != "" && !strings.ContainsAny(trimmed, " \t\r\n")
	var out []mention
	for _, tok := range strings.FieldsFunc(t.s, separator) {
		if tok == "" || strings.HasPrefix(tok, "/") || strings.HasPrefix(tok, "$") {
			continue
		}
		scheme, rest, hasScheme := strings.Cut(tok, "://")
		if !hasScheme {
			rest, scheme = tok, ""
		}
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			rest = rest[:i]
		}
		if i := strings.LastIndexByte(rest, '@'); i >= 0 {
			rest = rest[i+1:]
		}
		host, port := rest, 0
		if !strings.HasPrefix(host, "[") || !strings.Contains(host, "]") {
			host = strings.Trim(host, "[]") // a list written [a, b], not an IPv6 address
		}
		if strings.HasPrefix(host, "[") { // [2001:db8::1]:443
			if end := strings.IndexByte(host, ']'); end > 0 {
				host, rest = host[1:end], host[end+1:]
				if p, err := strconv.Atoi(strings.TrimPrefix(rest, ":")); err == nil {
					port = p
				}
			}
		} else if i := strings.LastIndexByte(host, ':'); i >= 0 && strings.Count(host, ":") == 1 {
			p, err := strconv.Atoi(host[i+1:])
			if err != nil {
				continue
			}
			host, port = host[:i], p
		}
		host = strings.TrimSuffix(strings.ToLower(host), ".")
		if port == 0 && hasScheme {
			port = schemePorts[strings.ToLower(scheme)]
		}
		if port < 0 || port > 65535 {
			continue
		}
		if a, err := netip.ParseAddr(host); err == nil {
			if hasScheme || port != 0 {
				out = append(out, mention{a.String(), port, t.why})
			}
			continue
		}
		if !isHost(host) {
			continue
		}
		if !strings.Contains(host, ".") && !(whole || hasScheme || port != 0) {
			continue
		}
		out = append(out, mention{host, port, t.why})
	}
	return out
}

// serviceCandidates are the (namespace, service) pairs a host name can mean, most specific
// first: svc, svc.ns, svc.ns.svc[.cluster.local], and a StatefulSet pod's
// pod.svc.ns.svc[.cluster.local].
func serviceCandidates(host, clientNS string) [][2]string {
	parts := strings.Split(host, ".")
	var out [][2]string
	switch {
	case len(parts) == 1:
		out = append(out, [2]string{clientNS, parts[0]})
	case len(parts) >= 4 && parts[3] == "svc":
		out = append(out, [2]string{parts[2], parts[1]})
	case len(parts) >= 3 && parts[2] == "svc":
		out = append(out, [2]string{parts[1], parts[0]})
	case len(parts) == 2:
		out = append(out, [2]string{parts[1], parts[0]}, [2]string{clientNS, parts[1]})
	}
	return out
}

// MentionedNamespaces lists, sorted, the namespaces other than its own whose Services the
// configuration in o can name: the hosts of every environment value, command and argument
// of its pod templates, and of every value of a ConfigMap (which any workload of its
// namespace may read). Generate finds a path between two namespaces only where one of them
// mentions the other so: what a monitor needs to know which namespaces' generated policies
// a change can touch.
func MentionedNamespaces(o *inventory.Object) []string {
	ns := o.EffectiveNamespace()
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		for _, m := range mentions(text{s: s}) {
			if _, err := netip.ParseAddr(m.host); err == nil {
				continue
			}
			for _, c := range serviceCandidates(m.host, ns) {
				if c[0] != ns && !seen[c[0]] {
					seen[c[0]] = true
					out = append(out, c[0])
				}
			}
		}
	}
	if cm, ok := o.Obj.(*corev1.ConfigMap); ok {
		for _, v := range cm.Data {
			add(v)
		}
	}
	for _, t := range o.PodTemplates() {
		for _, c := range t.Containers() {
			for _, ev := range c.Container.Env {
				add(ev.Value)
			}
			for _, a := range c.Container.Command {
				add(a)
			}
			for _, a := range c.Container.Args {
				add(a)
			}
		}
	}
	sort.Strings(out)
	return out
}

// FixedNamespaces are the namespaces every generated policy can depend on: where opts say
// the ingress controller and cluster DNS run.
func FixedNamespaces(opts Options) []string {
	opts.defaults()
	return []string{opts.IngressNamespace, opts.DNSNamespace}
}
