package encryption

import "strings"

// GroupResource is a resource as the configuration names it: "secrets" is {"", "secrets"},
// "deployments.apps" {"apps", "deployments"}, "*." every resource of the core group
// {"", "*"}, "*.apps" {"apps", "*"}, and "*.*" every resource {"*", "*"}.
type GroupResource struct {
	Group, Resource string
}

// AllResources is "*.*".
var AllResources = GroupResource{"*", "*"}

// Secrets is the core group's secrets.
var Secrets = GroupResource{"", "secrets"}

// ParseResource reads a resource as the API server does: the group is everything after the
// first dot.
func ParseResource(s string) GroupResource {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return GroupResource{Group: s[i+1:], Resource: s[:i]}
	}
	return GroupResource{Resource: s}
}

// String writes gr as the configuration does.
func (gr GroupResource) String() string {
	if gr.Group == "" {
		if gr.Resource == "*" {
			return "*."
		}
		return gr.Resource
	}
	return gr.Resource + "." + gr.Group
}

// ProviderRef points at provider Index of rule Rule.
type ProviderRef struct {
	Rule, Index int
}

// Providers returns the providers the API server uses for gr, in the order it tries them
// when reading: the first one encrypts every write. It is nil when no rule covers gr, and gr
// is then stored as it is, unencrypted.
//
// Like the API server, it takes the rules that name gr exactly, in file order; if there are
// none, those for every resource of gr's group (*.GROUP, or *. for the core group); if none,
// those for *.*. The rules of one kind are joined in file order.
func (c *Config) Providers(gr GroupResource) []ProviderRef {
	for _, key := range []GroupResource{gr, {gr.Group, "*"}, AllResources} {
		var out []ProviderRef
		for i, r := range c.Rules {
			for _, res := range r.Resources {
				if ParseResource(res) == key {
					for j := range r.Providers {
						out = append(out, ProviderRef{i, j})
					}
					break
				}
			}
		}
		if out != nil {
			return out
		}
	}
	return nil
}

// Writer returns the provider that encrypts writes of gr, and false when gr is not covered.
func (c *Config) Writer(gr GroupResource) (ProviderRef, bool) {
	ps := c.Providers(gr)
	if len(ps) == 0 {
		return ProviderRef{}, false
	}
	return ps[0], true
}

// Provider returns the provider ref points at.
func (c *Config) Provider(ref ProviderRef) *Provider { return &c.Rules[ref.Rule].Providers[ref.Index] }

// Writes returns the resources of rule i whose writes rule i's first provider encrypts: those
// it names for which no earlier rule decides. A rule whose resources all have an earlier
// rule only adds providers for reading.
func (c *Config) Writes(i int) []string {
	var out []string
	for _, res := range c.Rules[i].Resources {
		if w, ok := c.Writer(ParseResource(res)); ok && w.Rule == i {
			out = append(out, res)
		}
	}
	return out
}

// WritesSecrets reports whether rule i's first provider encrypts the writes of Secrets.
func (c *Config) WritesSecrets(i int) bool {
	w, ok := c.Writer(Secrets)
	return ok && w.Rule == i
}
