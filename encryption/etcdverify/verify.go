// Package etcdverify proves what encryption at rest actually did: it reads the keys of
// Secrets (and of other resources) straight from etcd and reports, per object, whether the
// stored value is encrypted, by which provider and key (the "k8s:enc:<provider>:v1:<key>:"
// prefix the API server writes), and which objects must be rewritten to be encrypted with
// the key that encrypts new writes: those still in plaintext, and those encrypted with a key
// that is no longer first.
//
// It only reads (range requests), and of each value it decodes only the first
// encryption.MaxPrefix bytes; the rest is wiped from memory unread. Nothing of a value but
// its prefix is ever kept or printed.
package etcdverify

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/encryption"
)

// DefaultPrefix is the API server's default --etcd-prefix.
const DefaultPrefix = "/registry"

// Options say what to verify.
type Options struct {
	// Prefix is the API server's --etcd-prefix; empty means DefaultPrefix.
	Prefix string
	// Resources to read; empty means Secrets only.
	Resources []encryption.GroupResource
	// Config is the API server's encryption configuration, which says how each resource must
	// be stored. Without it, the most recently written object of each resource stands for
	// the configuration in force.
	Config *encryption.Config
	// PageSize is how many keys one request reads; 0 means 500.
	PageSize int64
}

// Status of an object.
const (
	StatusOK         = "ok"
	StatusPlaintext  = "plaintext"  // stored unencrypted, and encryption is not in force
	StatusRewrite    = "rewrite"    // must be rewritten to be stored as the configuration says
	StatusUnreadable = "unreadable" // no provider of the configuration can read it
)

// Object is what etcd holds for one object.
type Object struct {
	Resource  string            `json:"resource"`
	Namespace string            `json:"namespace,omitempty"`
	Name      string            `json:"name"`
	Key       string            `json:"key"`
	Stored    encryption.Stored `json:"stored"`
	Status    string            `json:"status"`
	// Reason says why the status is not ok.
	Reason      string `json:"reason,omitempty"`
	ModRevision int64  `json:"modRevision"`
}

// Resource sums up one resource.
type Resource struct {
	Resource string `json:"resource"`
	// KeyPrefix is where its objects are in etcd.
	KeyPrefix string `json:"keyPrefix"`
	// Writes is how new writes are stored: "aescbc key1", "plaintext".
	Writes string `json:"writes"`
	// Inferred says Writes was read from the most recently written object, not from a
	// configuration.
	Inferred bool           `json:"inferred,omitempty"`
	Objects  int            `json:"objects"`
	ByStatus map[string]int `json:"byStatus"`
	// Stored counts objects by how they are stored ("aescbc key1", "plaintext").
	Stored map[string]int `json:"stored"`
	// RewriteNamespaces are the namespaces with objects to rewrite ("" for cluster-scoped).
	RewriteNamespaces []string `json:"rewriteNamespaces,omitempty"`
	writer            encryption.Stored
}

// Report is the result of Verify.
type Report struct {
	Endpoint  string     `json:"endpoint"`
	Resources []Resource `json:"resources"`
	Objects   []Object   `json:"objects"`
	// Notes are what the report cannot tell (wildcard rules it does not enumerate).
	Notes []string `json:"notes,omitempty"`
}

// Clean reports whether every object is stored encrypted, as new writes are.
func (r *Report) Clean() bool {
	for _, o := range r.Objects {
		if o.Status != StatusOK || !o.Stored.Encrypted {
			return false
		}
	}
	for _, res := range r.Resources {
		if !res.writer.Encrypted {
			return false
		}
	}
	return true
}

// RewriteCommands are the kubectl commands that rewrite the objects that need it: one per
// namespace, or one for all namespaces when more than five have such objects.
func (r *Report) RewriteCommands() []string {
	var out []string
	for _, res := range r.Resources {
		nss := res.RewriteNamespaces
		switch {
		case len(nss) == 0:
		case len(nss) > 5 || (len(nss) == 1 && nss[0] == ""):
			scope := "-A "
			if nss[0] == "" {
				scope = ""
			}
			out = append(out, fmt.Sprintf("kubectl get %s %s-o json | kubectl replace -f -", res.Resource, scope))
		default:
			for _, ns := range nss {
				out = append(out, fmt.Sprintf("kubectl get %s -n %s -o json | kubectl replace -f -", res.Resource, ns))
			}
		}
	}
	return out
}

// Verify reads every object of the resources from etcd.
func Verify(ctx context.Context, c *Client, opts Options) (*Report, error) {
	prefix := strings.TrimRight(opts.Prefix, "/")
	if opts.Prefix == "" {
		prefix = DefaultPrefix
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}
	resources := opts.Resources
	if len(resources) == 0 {
		resources = []encryption.GroupResource{encryption.Secrets}
	}
	rep := &Report{}
	if opts.Config != nil {
		rep.Notes = wildcardNotes(opts.Config)
	}
	for _, gr := range resources {
		kp := prefix + "/" + KeyPrefix(gr) + "/"
		res := Resource{Resource: gr.String(), KeyPrefix: kp, ByStatus: map[string]int{}, Stored: map[string]int{}}
		first := len(rep.Objects)
		err := c.Range(ctx, kp, prefixEnd(kp), opts.PageSize, func(kv KV) error {
			ns, name := splitKey(strings.TrimPrefix(kv.Key, kp))
			o := Object{Resource: res.Resource, Namespace: ns, Name: name, Key: kv.Key, ModRevision: kv.ModRevision}
			if opts.Config != nil {
				s, _, _, ok := opts.Config.Match(gr, kv.Head)
				o.Stored = s
				if !ok {
					o.Status = StatusUnreadable
				}
			} else {
				o.Stored = encryption.ParseStored(kv.Head)
			}
			clear(kv.Head)
			rep.Objects = append(rep.Objects, o)
			return nil
		})
		if err != nil {
			return nil, err
		}
		objs := rep.Objects[first:]
		res.writer, res.Inferred = writer(opts.Config, gr, objs)
		res.Writes = res.writer.String()
		if res.Inferred && len(objs) == 0 {
			res.Writes = "unknown (no objects, and no configuration given)"
		}
		judge(objs, &res, opts.Config != nil)
		rep.Resources = append(rep.Resources, res)
	}
	rep.Endpoint = c.Endpoint()
	return rep, nil
}

// writer is how new writes of gr are stored: as the configuration says, or as the most
// recently written object is.
func writer(cfg *encryption.Config, gr encryption.GroupResource, objs []Object) (encryption.Stored, bool) {
	if cfg != nil {
		w, ok := cfg.Writer(gr)
		if !ok {
			return encryption.Stored{}, false
		}
		p := cfg.Provider(w)
		s := encryption.ParseStored([]byte(p.WritePrefix()))
		if p.Type != encryption.KMS && len(p.Keys) > 0 {
			s.Key = p.Keys[0].Name // names with ':' are whole here
		}
		return s, false
	}
	var latest *Object
	for i := range objs {
		if latest == nil || objs[i].ModRevision > latest.ModRevision {
			latest = &objs[i]
		}
	}
	if latest == nil {
		return encryption.Stored{}, true
	}
	return latest.Stored, true
}

func judge(objs []Object, res *Resource, configured bool) {
	w := res.writer
	// How new writes are stored, and on what authority.
	encrypts := "the configuration encrypts new writes with " + w.String()
	plain := "as the configuration stores new writes"
	unencrypted := "the configuration now stores new writes unencrypted"
	if !configured {
		encrypts = "new writes are encrypted with " + w.String() + " (as the most recent write is)"
		plain = "as the most recent write is"
		unencrypted = "the most recent write is stored unencrypted"
	}
	nss := map[string]bool{}
	for i := range objs {
		o := &objs[i]
		res.Objects++
		res.Stored[o.Stored.String()]++
		switch {
		case o.Status == StatusUnreadable:
			o.Reason = fmt.Sprintf("stored as %s, which no provider of the configuration can read: the API server fails to read it (restore the key, or delete the object)", o.Stored)
		case o.Stored == w && !w.Encrypted:
			o.Status = StatusPlaintext
			o.Reason = "stored unencrypted, " + plain
		case o.Stored == w:
			o.Status = StatusOK
		case !o.Stored.Encrypted:
			o.Status, o.Reason = StatusRewrite, "stored unencrypted; "+encrypts
		case !w.Encrypted:
			o.Status, o.Reason = StatusRewrite, fmt.Sprintf("encrypted with %s, but %s", o.Stored, unencrypted)
		default:
			o.Status, o.Reason = StatusRewrite, fmt.Sprintf("encrypted with %s, which is no longer the first key; %s", o.Stored, encrypts)
		}
		res.ByStatus[o.Status]++
		if o.Status == StatusRewrite {
			nss[o.Namespace] = true
		}
	}
	for ns := range nss {
		res.RewriteNamespaces = append(res.RewriteNamespaces, ns)
	}
	sort.Strings(res.RewriteNamespaces)
}

// wildcardNotes says which rules of the configuration cover resources not being read.
func wildcardNotes(cfg *encryption.Config) []string {
	var out []string
	for i, r := range cfg.Rules {
		for _, res := range r.Resources {
			gr := encryption.ParseResource(res)
			if gr.Resource == "*" {
				out = append(out, fmt.Sprintf("resources[%d] covers %s, whose resources are not enumerated: name them with --resource to verify them", i, res))
			}
		}
	}
	return out
}

// splitKey splits "ns/name" (namespaced) or "name" (cluster-scoped).
func splitKey(rest string) (ns, name string) {
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[:i], rest[i+1:]
	}
	return "", rest
}

// prefixEnd is the end of the range of keys that start with p.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\x00"
}

// KeyPrefix is where the API server keeps a resource in etcd, under its --etcd-prefix:
// the resource's name for built-in groups (with a few historical names), GROUP/RESOURCE
// for custom resources and aggregated API groups.
func KeyPrefix(gr encryption.GroupResource) string {
	if p, ok := keyPrefixes[gr]; ok {
		return p
	}
	if builtinGroups[gr.Group] {
		return gr.Resource
	}
	return gr.Group + "/" + gr.Resource
}

// keyPrefixes are the built-in resources stored under another name than their own.
var keyPrefixes = map[encryption.GroupResource]string{
	{Group: "", Resource: "services"}:                                      "services/specs",
	{Group: "", Resource: "endpoints"}:                                     "services/endpoints",
	{Group: "", Resource: "nodes"}:                                         "minions",
	{Group: "", Resource: "replicationcontrollers"}:                        "controllers",
	{Group: "networking.k8s.io", Resource: "ingresses"}:                    "ingress",
	{Group: "apiregistration.k8s.io", Resource: "apiservices"}:             "apiregistration.k8s.io/apiservices",
	{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}: "apiextensions.k8s.io/customresourcedefinitions",
}

// builtinGroups are the groups whose resources the API server stores under their name
// alone.
var builtinGroups = map[string]bool{
	"": true, "apps": true, "batch": true, "autoscaling": true, "policy": true, "networking.k8s.io": true,
	"rbac.authorization.k8s.io": true, "storage.k8s.io": true, "scheduling.k8s.io": true,
	"coordination.k8s.io": true, "node.k8s.io": true, "discovery.k8s.io": true,
	"flowcontrol.apiserver.k8s.io": true, "certificates.k8s.io": true, "admissionregistration.k8s.io": true,
	"resource.k8s.io": true, "internal.apiserver.k8s.io": true, "storagemigration.k8s.io": true,
}
