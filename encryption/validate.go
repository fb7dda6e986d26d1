package encryption

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
)

// validate finds what the API server's validation of the file rejects
// (k8s.io/apiserver/pkg/apis/apiserver/validation), with messages that never quote a key. It
// takes automatic reload to be off, as it is by default: with
// --encryption-provider-config-automatic-reload, KMS v1 provider names must be unique too.
func validate(ec *apiserverv1.EncryptionConfiguration) []Problem {
	var out []Problem
	add := func(path, format string, args ...any) {
		out = append(out, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if len(ec.Resources) == 0 {
		add("resources", "at least one entry is required")
		return out
	}
	kmsNames := map[string]bool{}
	for i, rc := range ec.Resources {
		rpath := fmt.Sprintf("resources[%d].resources", i)
		if len(rc.Resources) == 0 {
			add(rpath, "at least one resource is required")
		}
		dup, overlap := overlaps(rc.Resources)
		if dup {
			add(rpath, "the same resource is listed twice")
		}
		if overlap {
			add(rpath, "overlapping resources (such as secrets and *. or *.*) in one list are not allowed: one masks the other")
		}
		for j, res := range rc.Resources {
			if msg := badResource(res); msg != "" {
				add(fmt.Sprintf("%s[%d]", rpath, j), "%q: %s", res, msg)
			}
		}
		if len(rc.Providers) == 0 {
			add(fmt.Sprintf("resources[%d].providers", i), "at least one provider is required")
		}
		for j, pc := range rc.Providers {
			path := ProviderPath(i, j)
			switch n := count(pc); {
			case n == 0:
				add(path, "names no provider (aescbc, aesgcm, secretbox, kms or identity)")
				continue
			case n > 1:
				add(path, "names more than one provider: each must be its own list item")
				continue
			}
			switch {
			case pc.KMS != nil:
				out = append(out, validateKMS(pc.KMS, path+".kms", kmsNames)...)
				kmsNames[pc.KMS.Name] = true
			case pc.AESGCM != nil:
				out = append(out, validateKeys(pc.AESGCM.Keys, path+".aesgcm.keys", []int{16, 24, 32})...)
			case pc.AESCBC != nil:
				out = append(out, validateKeys(pc.AESCBC.Keys, path+".aescbc.keys", []int{16, 24, 32})...)
			case pc.Secretbox != nil:
				out = append(out, validateKeys(pc.Secretbox.Keys, path+".secretbox.keys", []int{32})...)
			}
		}
	}
	return out
}

// overlaps reports a resource listed twice, and a list where one entry covers another: *.*
// with anything, or *.GROUP with another resource of GROUP.
func overlaps(resources []string) (dup, overlap bool) {
	grs := make([]GroupResource, len(resources))
	for i, r := range resources {
		grs[i] = ParseResource(r)
	}
	for i, a := range grs {
		for j, b := range grs {
			switch {
			case i == j:
			case a == b:
				dup = true
			case a == AllResources:
				overlap = true
			case a.Group == b.Group && (a.Resource == "*" || b.Resource == "*"):
				overlap = true
			}
		}
	}
	return dup, overlap
}

// badResource says why the API server rejects a resource name, or "".
func badResource(res string) string {
	gr := ParseResource(res)
	switch {
	case strings.ToLower(res) != res:
		return "resource names are lower case"
	case res == "*":
		return "write *. for every resource of the core group, or *.* for every resource"
	case res == "apiserveripinfo" || res == "serviceipallocations" || res == "servicenodeportallocations":
		return "has no REST API and cannot be encrypted"
	case gr.Group == "events.k8s.io":
		return "events.k8s.io objects are stored as events of the core group: write events"
	case gr.Group == "extensions":
		return "the extensions group was removed and cannot be encrypted"
	case gr.Group == "*" && gr.Resource != "*":
		return "a resource cannot be encrypted across all groups: name its group"
	}
	return ""
}

func validateKeys(keys []apiserverv1.Key, path string, sizes []int) []Problem {
	if len(keys) == 0 {
		return []Problem{{Path: path, Message: "at least one key is required"}}
	}
	var out []Problem
	for i, k := range keys {
		kp := fmt.Sprintf("%s[%d]", path, i)
		if k.Name == "" {
			out = append(out, Problem{Path: kp + ".name", Message: "a key needs a name"})
		}
		if k.Secret == "" {
			out = append(out, Problem{Path: kp + ".secret", Message: "a key needs a secret"})
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(k.Secret)
		if err != nil {
			out = append(out, Problem{Path: kp + ".secret", Message: "the secret is not valid base64 (standard encoding, with padding)"})
			continue
		}
		n := len(raw)
		clear(raw)
		ok := false
		for _, s := range sizes {
			ok = ok || n == s
		}
		if !ok {
			out = append(out, Problem{Path: kp + ".secret", Message: fmt.Sprintf("the secret decodes to %d bytes; this provider takes %s", n, sizeList(sizes))})
		}
	}
	return out
}

func sizeList(sizes []int) string {
	parts := make([]string, len(sizes))
	for i, s := range sizes {
		parts[i] = fmt.Sprint(s)
	}
	if len(parts) == 1 {
		return parts[0] + " bytes"
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1] + " bytes"
}

func validateKMS(k *apiserverv1.KMSConfiguration, path string, names map[string]bool) []Problem {
	var out []Problem
	add := func(field, format string, args ...any) {
		out = append(out, Problem{Path: path + "." + field, Message: fmt.Sprintf(format, args...)})
	}
	if k.Name == "" {
		add("name", "a KMS provider needs a name")
	}
	if k.APIVersion != "v1" && strings.Contains(k.Name, ":") {
		add("name", "a KMS v2 provider name must not contain ':'")
	}
	if k.APIVersion != "v1" && names[k.Name] {
		add("name", "KMS provider name %q is used twice; names must be unique", k.Name)
	}
	if k.Timeout == nil || k.Timeout.Duration <= 0 {
		add("timeout", "must be positive")
	}
	if k.Endpoint == "" {
		add("endpoint", "a KMS provider needs an endpoint")
	} else if u, err := url.Parse(k.Endpoint); err != nil {
		add("endpoint", "not a URL: %v", err)
	} else if u.Scheme != "unix" {
		add("endpoint", "scheme %q is not supported: only unix sockets are", u.Scheme)
	}
	if k.APIVersion != "v1" && k.CacheSize != nil {
		add("cachesize", "KMS v2 has no cache size")
	}
	if k.APIVersion == "v1" && k.CacheSize != nil && *k.CacheSize == 0 {
		add("cachesize", "must be positive, or negative to turn the cache off")
	}
	if k.APIVersion != "v1" && k.APIVersion != "v2" {
		add("apiVersion", "%q is not v1 or v2", k.APIVersion)
	}
	return out
}

// masked finds resources that an earlier wildcard (*.GROUP or *.*) already covers, in an
// earlier rule or earlier in the same list, which the API server refuses when it builds its
// transformers.
func masked(c *Config) []Problem {
	var out []Problem
	seen := map[GroupResource]bool{}
	for i, r := range c.Rules {
		for j, res := range r.Resources {
			gr := ParseResource(res)
			for _, w := range []GroupResource{{gr.Group, "*"}, AllResources} {
				if seen[w] {
					out = append(out, Problem{
						Path:    fmt.Sprintf("resources[%d].resources[%d]", i, j),
						Message: fmt.Sprintf("%q is masked by the earlier rule for %q: list it before that rule", res, w.String()),
					})
					break
				}
			}
			seen[gr] = true
		}
	}
	return out
}
