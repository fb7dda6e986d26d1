package check

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
)

// IgnoreAnnotation suppresses checks on the object that carries it. Its value is one or more
// lines of the form
//
//	<check-id>[,<check-id>...]: <reason>[; expires YYYY-MM-DD]
//
// where a check ID may be a glob ("images/*"). It means the same as a config exception.
const IgnoreAnnotation = "kubeharden.io/ignore"

// Suppression is the exception that applies to a finding.
type Suppression struct {
	// Source is "annotation" or the config file's path.
	Source  string
	Reason  string
	Expires config.Date
	// Expired exceptions no longer suppress; the finding says which one expired.
	Expired bool
}

type rule struct {
	check     string
	namespace string
	kind      string
	name      string
	s         Suppression
}

func (r *rule) matches(f *Finding, ns string) bool {
	return glob(r.check, f.Check) &&
		(r.namespace == "" || glob(r.namespace, ns)) &&
		(r.kind == "" || strings.EqualFold(r.kind, f.Object.Kind)) &&
		(r.name == "" || glob(r.name, f.Object.Name))
}

func glob(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return ok && err == nil
}

// Suppress marks the findings that an annotation or a config exception covers. An exception
// that has expired at now leaves the finding unsuppressed and notes the expiry in the message.
// Malformed annotations are returned as errors and suppress nothing.
func Suppress(findings []Finding, inv *inventory.Inventory, cfg *config.Config, now time.Time) []Error {
	var rules []rule
	if cfg != nil {
		for _, e := range cfg.Exceptions {
			rules = append(rules, rule{e.Check, e.Namespace, e.Kind, e.Name,
				Suppression{Source: cfg.Path, Reason: e.Reason, Expires: e.Expires}})
		}
	}
	var errs []Error
	parsed := map[*inventory.Object][]rule{}
	for i := range findings {
		f := &findings[i]
		ns := f.Object.Namespace
		var objRules []rule
		if o := f.object; o != nil {
			ns = o.EffectiveNamespace()
			r, ok := parsed[o]
			if !ok {
				var err error
				r, err = parseIgnore(o.Annotations()[IgnoreAnnotation])
				if err != nil {
					errs = append(errs, Error{File: o.Source.File, Line: o.Line("metadata.annotations"),
						Resource: o.Ref.String(), Message: err.Error()})
				}
				parsed[o] = r
			}
			objRules = r
		}
		apply(f, ns, objRules, rules, now)
	}
	return errs
}

func apply(f *Finding, ns string, objRules, cfgRules []rule, now time.Time) {
	var expired *Suppression
	for _, set := range [][]rule{objRules, cfgRules} {
		for i := range set {
			r := &set[i]
			if !r.matches(f, ns) {
				continue
			}
			if r.s.Expires.Expired(now) {
				if expired == nil {
					s := r.s
					s.Expired = true
					expired = &s
				}
				continue
			}
			s := r.s
			f.Suppressed, f.Suppression = true, &s
			return
		}
	}
	if expired != nil {
		f.Suppression = expired
		f.Message += fmt.Sprintf(" (exception from %s expired %s: %s)", expired.Source, expired.Expires, expired.Reason)
	}
}

func parseIgnore(v string) ([]rule, error) {
	var out []rule
	for _, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		ids, reason, ok := strings.Cut(line, ":")
		reason = strings.TrimSpace(reason)
		if !ok || reason == "" {
			return out, fmt.Errorf("annotation %s: %q needs a reason: \"<check-id>: <reason>\"", IgnoreAnnotation, line)
		}
		var exp config.Date
		if i := strings.LastIndex(reason, ";"); i >= 0 {
			if d, found := strings.CutPrefix(strings.TrimSpace(reason[i+1:]), "expires"); found {
				var err error
				if exp, err = config.ParseDate(d); err != nil {
					return out, fmt.Errorf("annotation %s: %v", IgnoreAnnotation, err)
				}
				reason = strings.TrimSpace(reason[:i])
			}
		}
		for _, id := range strings.Split(ids, ",") {
			if id = strings.TrimSpace(id); id != "" {
				out = append(out, rule{check: id, s: Suppression{Source: "annotation", Reason: reason, Expires: exp}})
			}
		}
	}
	return out, nil
}
