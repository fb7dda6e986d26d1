package generate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubeharden/kubeharden/netpol"
)

// keyOrder is how generated objects read best: identity first, then spec, each in the
// order the Kubernetes documentation writes them.
var keyOrder = map[string]int{
	"apiVersion": 0, "kind": 1, "metadata": 2, "spec": 3,
	"name": 0, "namespace": 1, "labels": 2,
	"podSelector": 0, "policyTypes": 1, "ingress": 2, "egress": 3,
	"from": 0, "to": 0, "ports": 1,
	"namespaceSelector": -1, "ipBlock": 2,
	"protocol": 0, "port": 1, "endPort": 2,
}

// WriteYAML writes the result as a multi-document manifest: notes first, as comments, then
// each policy with a comment on every rule saying why it exists.
func (r *Result) WriteYAML(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# NetworkPolicies written by kubeharden netpol generate. Review before applying.\n")
	for _, n := range r.Notes {
		b.WriteString("#\n# NOTE: " + strings.ReplaceAll(n, "\n", "\n#   ") + "\n")
	}
	if len(r.Policies) == 0 {
		b.WriteString("#\n# Nothing to add: the existing policies already allow every path found, and deny by default.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, p := range r.Policies {
		doc, err := p.node()
		if err != nil {
			return err
		}
		var out strings.Builder
		enc := yaml.NewEncoder(&out)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
		b.WriteString("---\n")
		b.WriteString(out.String())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// node renders the policy as a YAML node tree with its comments.
func (p *Policy) node() (*yaml.Node, error) {
	raw, err := json.Marshal(p.Object)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	root := doc.Content[0]
	tidy(root)
	root.HeadComment = p.Comment
	spec := field(root, "spec")
	if spec == nil {
		return nil, fmt.Errorf("policy %s has no spec", p.Object.Name)
	}
	for d, key := range []string{"ingress", "egress"} {
		rules := field(spec, key)
		if rules == nil {
			continue
		}
		for i, rule := range rules.Content {
			if i < len(p.Rules[netpol.Direction(d)]) {
				rule.HeadComment = p.Rules[netpol.Direction(d)][i]
			}
		}
	}
	return root, nil
}

// tidy turns JSON's flow style into block style, drops empty metadata the API server fills
// in, and orders keys as people write them.
func tidy(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, ":") {
		n.Style = yaml.DoubleQuotedStyle // IPv6 CIDRs: quoted, as people write them
	}
	if n.Kind == yaml.MappingNode {
		var kept []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "creationTimestamp" && v.Tag == "!!null" {
				continue
			}
			kept = append(kept, k, v)
		}
		// Insertion sort of key/value pairs by keyOrder (stable for unknown keys).
		for i := 2; i < len(kept); i += 2 {
			for j := i; j >= 2 && rank(kept[j].Value) < rank(kept[j-2].Value); j -= 2 {
				kept[j], kept[j-2] = kept[j-2], kept[j]
				kept[j+1], kept[j-1] = kept[j-1], kept[j+1]
			}
		}
		n.Content = kept
		if len(kept) == 0 {
			n.Style = yaml.FlowStyle // {}
		}
	}
	for _, c := range n.Content {
		tidy(c)
	}
}

func rank(k string) int {
	if r, ok := keyOrder[k]; ok {
		return r
	}
	return 100
}

func field(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
