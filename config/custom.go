package config

import (
	"fmt"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// CustomCheck is a check written in CEL with the variable names of a ValidatingAdmissionPolicy:
// object, oldObject (null outside an update), namespaceObject (the object's Namespace, or
// null), params (null). Expression is true when the object passes; Message is a CEL string
// expression shown when it fails.
type CustomCheck struct {
	// ID is "custom/<slug>".
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	Kinds       []string `json:"kinds"`
	Expression  string   `json:"expression"`
	Message     string   `json:"message,omitempty"`
	Remediation string   `json:"remediation,omitempty"`

	// File and Line locate the entry; ExpressionLine and MessageLine its two expressions.
	File           string `json:"-"`
	Line           int    `json:"-"`
	ExpressionLine int    `json:"-"`
	MessageLine    int    `json:"-"`
}

var customID = regexp.MustCompile(`^custom/[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// locateCustomChecks validates the custom checks and records the lines they were read from.
func (c *Config) locateCustomChecks(data []byte, path string) error {
	if len(c.CustomChecks) == 0 {
		return nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil && len(root.Content) > 0 {
		if list := mapValue(root.Content[0], "customChecks"); list != nil && list.Kind == yaml.SequenceNode {
			for i, n := range list.Content {
				if i >= len(c.CustomChecks) {
					break
				}
				cc := &c.CustomChecks[i]
				cc.Line = n.Line
				cc.ExpressionLine, cc.MessageLine = n.Line, n.Line
				if v := mapValue(n, "expression"); v != nil {
					cc.ExpressionLine = v.Line
				}
				if v := mapValue(n, "message"); v != nil {
					cc.MessageLine = v.Line
				}
			}
		}
	}
	seen := map[string]bool{}
	for i := range c.CustomChecks {
		cc := &c.CustomChecks[i]
		cc.File = path
		at := fmt.Sprintf("%s:%d: customChecks[%d]", path, cc.Line, i)
		switch {
		case !customID.MatchString(cc.ID):
			return fmt.Errorf("%s: id %q is not custom/<slug> (lowercase letters, digits and dashes)", at, cc.ID)
		case seen[cc.ID]:
			return fmt.Errorf("%s: id %s is used twice", at, cc.ID)
		case strings.TrimSpace(cc.Title) == "":
			return fmt.Errorf("%s (%s): title is required", at, cc.ID)
		case len(cc.Kinds) == 0:
			return fmt.Errorf("%s (%s): kinds is required", at, cc.ID)
		case strings.TrimSpace(cc.Expression) == "":
			return fmt.Errorf("%s (%s): expression is required", at, cc.ID)
		}
		switch cc.Severity {
		case "critical", "high", "medium", "low", "info":
		default:
			return fmt.Errorf("%s (%s): severity %q is not critical, high, medium, low or info", at, cc.ID, cc.Severity)
		}
		seen[cc.ID] = true
	}
	return nil
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
