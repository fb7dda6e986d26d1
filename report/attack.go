package report

import (
	"strings"
	"unicode/utf8"

	"github.com/kubeharden/kubeharden/attack"
)

// AttackPath is an attack path for the HTML report to draw: from the internet (or an
// insider) to a target, step by step (see AttackPathOf).
type AttackPath struct {
	Target string
	Steps  []AttackStep
}

// AttackPathOf converts a path computed by package attack.
func AttackPathOf(p *attack.Path) AttackPath {
	rp := AttackPath{Target: p.To.Label()}
	for _, s := range p.Steps {
		st := AttackStep{Node: s.Node.Label(), Kind: string(s.Node.Kind)}
		var detail []string
		if s.Node.PodSecurity != "" {
			detail = append(detail, "Pod Security "+s.Node.PodSecurity)
		}
		if s.Node.Vulnerabilities != "" {
			detail = append(detail, s.Node.Vulnerabilities)
		}
		st.Detail = strings.Join(detail, "; ")
		if s.Edge != nil {
			st.Edge, st.Evidence = string(s.Edge.Kind), s.Edge.Evidence
		}
		rp.Steps = append(rp.Steps, st)
	}
	return rp
}

// AttackStep is a node of a path and the edge that led to it (empty on the first step).
type AttackStep struct {
	// Node is the node's label ("Deployment shop-api/api"); Kind its kind ("workload").
	Node, Kind string
	// Detail says more about the node: its Pod Security level, its images' vulnerabilities.
	Detail string
	// Edge is how the attacker got here ("mounts-token"); Evidence what proves it.
	Edge, Evidence string
}

// Drawing of one path: boxes left to right, joined by arrows whose tooltip is the evidence.
const (
	apBoxW, apBoxH = 200, 56
	apGap          = 44
	apPad          = 8
	apLineChars    = 26 // characters per line of a box at the stylesheet's font size
)

type htmlAttack struct {
	Count   int
	Targets []htmlAttackTarget
}

type htmlAttackTarget struct {
	Target string
	Paths  []htmlAttackPath
}

type htmlAttackPath struct {
	Title         string
	Width, Height int
	Nodes         []htmlAttackNode
	Arrows        []htmlAttackArrow
	Steps         []AttackStep
}

type htmlAttackNode struct {
	X, Y, W, H int
	TextX      int
	Lines      []htmlAttackLine
	Kind       string
	Title      string
}

type htmlAttackLine struct {
	Y    int
	Text string
}

type htmlAttackArrow struct {
	X1, X2, Y int
	Edge      string
	Title     string
}

// attackView lays out paths for the template; nil when there are none.
func attackView(paths []AttackPath) *htmlAttack {
	if len(paths) == 0 {
		return nil
	}
	v := &htmlAttack{Count: len(paths)}
	for _, p := range paths {
		if n := len(v.Targets); n == 0 || v.Targets[n-1].Target != p.Target {
			v.Targets = append(v.Targets, htmlAttackTarget{Target: sanitize(p.Target)})
		}
		t := &v.Targets[len(v.Targets)-1]
		hp := htmlAttackPath{Height: apBoxH + 2*apPad}
		var labels []string
		for i, s := range p.Steps {
			s.Node, s.Detail, s.Evidence = sanitize(s.Node), sanitize(s.Detail), sanitize(s.Evidence)
			labels = append(labels, s.Node)
			x := apPad + i*(apBoxW+apGap)
			n := htmlAttackNode{X: x, Y: apPad, W: apBoxW, H: apBoxH, TextX: x + 8, Kind: kindClass(s.Kind), Title: s.Node}
			if s.Detail != "" {
				n.Title += "\n" + s.Detail
			}
			for j, l := range boxLines(s.Node, s.Detail) {
				n.Lines = append(n.Lines, htmlAttackLine{Y: apPad + 18 + j*15, Text: l})
			}
			hp.Nodes = append(hp.Nodes, n)
			if i > 0 {
				hp.Arrows = append(hp.Arrows, htmlAttackArrow{X1: x - apGap + 2, X2: x - 3, Y: apPad + apBoxH/2, Edge: s.Edge, Title: s.Edge + ": " + s.Evidence})
			}
			hp.Steps = append(hp.Steps, s)
		}
		hp.Width = 2*apPad + len(p.Steps)*apBoxW + (len(p.Steps)-1)*apGap
		hp.Title = strings.Join(labels, " → ")
		t.Paths = append(t.Paths, hp)
	}
	return v
}

// kindClass keeps a node kind to the characters a class name may hold.
func kindClass(k string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r == '-' {
			return r
		}
		return -1
	}, k)
}

// boxLines fits a label (two lines at most, cut with an ellipsis) and its detail (one line)
// into a box.
func boxLines(label, detail string) []string {
	var out []string
	words := strings.Fields(label)
	line := ""
	for i, w := range words {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= apLineChars:
			line += " " + w
		default:
			out = append(out, line)
			line = w
		}
		if len(out) == 2 {
			out[1] = clip(out[1]+" "+strings.Join(words[i:], " "), apLineChars)
			line = ""
			break
		}
	}
	if line != "" {
		out = append(out, line)
	}
	for i := range out {
		out[i] = clip(out[i], apLineChars)
	}
	if len(out) > 2 {
		out = append(out[:1], clip(strings.Join(out[1:], " "), apLineChars))
	}
	if detail != "" {
		out = append(out, clip(detail, apLineChars))
	}
	return out
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
