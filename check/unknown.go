package check

import (
	"fmt"

	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/suggest"
	"github.com/kubeharden/kubeharden/inventory"
)

// UnknownSuppressions reports the config exceptions and ignore annotations on inv's objects
// whose check ID (or glob) matches neither a registered check nor one of also: a typo there
// would otherwise suppress nothing, silently.
func UnknownSuppressions(inv *inventory.Inventory, cfg *config.Config, also []*Check) []Error {
	var ids []string
	for _, c := range append(All(), also...) {
		ids = append(ids, c.ID)
	}
	unknown := func(pattern string) (string, bool) {
		for _, id := range ids {
			if glob(pattern, id) {
				return "", false
			}
		}
		msg := fmt.Sprintf("no check matches %q", pattern)
		if s := suggest.Closest(pattern, ids); s != "" {
			msg += "; did you mean " + s + "?"
		} else {
			msg += " (kubeharden checks lists them)"
		}
		return msg, true
	}
	var errs []Error
	if cfg != nil {
		for _, e := range cfg.Exceptions {
			if msg, bad := unknown(e.Check); bad {
				errs = append(errs, Error{File: cfg.Path, Line: e.Line, Message: "exception: " + msg})
			}
		}
	}
	if inv == nil {
		return errs
	}
	for _, o := range inv.All() {
		v, ok := o.Annotations()[IgnoreAnnotation]
		if !ok {
			continue
		}
		rules, _ := parseIgnore(v) // malformed annotations are Suppress's to report
		for _, r := range rules {
			if msg, bad := unknown(r.check); bad {
				errs = append(errs, Error{File: o.Source.File, Line: o.Line("metadata.annotations"),
					Resource: o.Ref.String(), Message: "annotation " + IgnoreAnnotation + ": " + msg})
			}
		}
	}
	return errs
}
