package secrets

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// lastAppliedCredentials reports what kubectl's last-applied-configuration annotation of o
// exposes: a Secret's values, repeated in plain metadata that list calls and metadata-only
// readers return, and credentials the object itself no longer holds (its current fields are
// judged on their own, so a credential still in them is not reported twice).
func lastAppliedCredentials(p *check.Pass, o *inventory.Object) {
	raw, ok := o.Annotations()[lastApplied]
	if !ok || raw == "" {
		return
	}
	path := "metadata.annotations." + lastApplied
	var applied map[string]any
	if err := json.Unmarshal([]byte(raw), &applied); err != nil {
		return // not kubectl's: judged as any annotation would be
	}
	if kind, _ := applied["kind"].(string); kind == "Secret" {
		var keys []string
		for _, f := range []string{"data", "stringData"} {
			if m, ok := applied[f].(map[string]any); ok {
				for k := range m {
					keys = append(keys, k)
				}
			}
		}
		if len(keys) > 0 {
			sort.Strings(keys)
			p.Reportf(o, path, "annotation %s repeats the Secret's values (keys %s; values not shown): whoever reads the Secret's metadata, or an export of it, reads them", lastApplied, strings.Join(keys, ", "))
		}
		return
	}
	current := map[string]bool{}
	if u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Obj); err == nil {
		walkStrings(u, "", func(_, v string, _ bool) { current[v] = true })
	}
	for k, v := range o.Annotations() {
		if k != lastApplied {
			current[v] = true
		}
	}
	var found string
	walkStrings(applied, "", func(name, v string, named bool) {
		if found != "" || current[v] || v == "" {
			return
		}
		if k := credential(name, v, named); k != "" {
			found = fmt.Sprintf("%s under %s", k, name)
		}
	})
	walkCommands(applied, func(words []string) {
		for i := range words {
			if found != "" || current[words[i]] {
				return
			}
			if k, where := argCredential(words, i); k != "" {
				found = k + where
			}
		}
	})
	if found != "" {
		p.Reportf(o, path, "annotation %s holds a credential the object itself no longer has (%s; value not shown): it keeps what was applied before", lastApplied, found)
	}
}

// walkStrings calls f with every string of v and the name it is found under: its key, or
// for an env entry {name, value} the variable's name. named is false for annotations, as
// secrets/hardcoded-credential judges them (their values name secrets more often than hold
// them). Commands and args are left to walkCommands.
func walkStrings(v any, key string, f func(name, value string, named bool)) {
	switch x := v.(type) {
	case map[string]any:
		if n, ok := x["name"].(string); ok {
			if s, ok := x["value"].(string); ok {
				f(n, s, true)
			}
		}
		for k, c := range x {
			switch {
			case k == "value" && x["name"] != nil:
			case k == "command" || k == "args":
			case k == "annotations":
				if m, ok := c.(map[string]any); ok {
					for ak, av := range m {
						if s, ok := av.(string); ok && ak != lastApplied {
							f(ak, s, false)
						}
					}
				}
			default:
				walkStrings(c, k, f)
			}
		}
	case []any:
		for _, c := range x {
			walkStrings(c, key, f)
		}
	case string:
		f(key, x, true)
	}
}

// walkCommands calls f with every command and args list of v.
func walkCommands(v any, f func(words []string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if l, ok := c.([]any); ok && (k == "command" || k == "args") {
				words := make([]string, 0, len(l))
				for _, w := range l {
					if s, ok := w.(string); ok {
						words = append(words, s)
					}
				}
				f(words)
				continue
			}
			walkCommands(c, f)
		}
	case []any:
		for _, c := range x {
			walkCommands(c, f)
		}
	}
}
