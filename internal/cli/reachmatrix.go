package cli

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kubeharden/kubeharden/netpol"
)

// The matrix is written as it is read, row by row, and never held whole: at 10,000
// workloads it has 10⁸ cells. Cells are rendered once per distinct port set (the matrix
// interns them), so writing costs a lookup per cell.

// matrixView is the matrix with its rows and columns in the order they are written.
type matrixView struct {
	eng *netpol.Engine
	m   *netpol.Matrix
	eps []matrixEndpoint // the workloads, by name; the internet is added after them
	net matrixEndpoint
}

func newMatrixView(eng *netpol.Engine, namespaces []string) (*matrixView, error) {
	m := eng.Matrix(namespaces...)
	var eps []matrixEndpoint
	inMatrix := map[*netpol.Class]bool{}
	for _, c := range m.Classes() {
		inMatrix[c] = true
	}
	for _, wl := range eng.Workloads() {
		if inMatrix[wl.Class()] {
			eps = append(eps, matrixEndpoint{wl.ID(), wl.Namespace, wl.Class()})
		}
	}
	sort.SliceStable(eps, func(i, j int) bool { return eps[i].name < eps[j].name })
	if len(eps) == 0 {
		return nil, errors.New("no workloads to show (hostNetwork workloads are left out: no policy applies to them)")
	}
	return &matrixView{eng: eng, m: m, eps: eps, net: matrixEndpoint{name: "internet"}}, nil
}

func (v *matrixView) all() []matrixEndpoint {
	return append(append([]matrixEndpoint{}, v.eps...), v.net)
}

// ports returns what from may send to to, for every address and for some.
func (v *matrixView) ports(from, to matrixEndpoint) (netpol.PortSet, netpol.PortSet) {
	switch {
	case from.cls == nil && to.cls == nil:
		return netpol.NoPorts, netpol.NoPorts
	case from.cls == nil:
		return v.m.FromInternet(to.cls)
	case to.cls == nil:
		return v.m.ToInternet(from.cls)
	}
	p := v.m.Ports(from.cls, to.cls)
	return p, p
}

// render memoises a rendering of cells by port set: f is called once per distinct set
// between classes.
type render struct {
	v    *matrixView
	f    func(every, some netpol.PortSet) string
	memo map[uint32]string
	row  []uint32 // keys of the current source's row (see startRow)
	from *netpol.Class
}

// startRow reads the row of from once, for the cells of that row that follow.
func (r *render) startRow(from matrixEndpoint) {
	r.from = from.cls
	if from.cls != nil {
		r.row = r.v.m.Row(from.cls, r.row)
	}
}

func (v *matrixView) renderer(f func(every, some netpol.PortSet) string) *render {
	return &render{v: v, f: f, memo: map[uint32]string{}}
}

func (r *render) cell(from, to matrixEndpoint) string {
	if from.cls == nil || to.cls == nil {
		return r.f(r.v.ports(from, to))
	}
	var id uint32
	if from.cls == r.from {
		id = r.row[r.v.m.Pos(to.cls)]
	} else {
		_, id = r.v.m.Cell(from.cls, to.cls)
	}
	s, ok := r.memo[id]
	if !ok {
		p := r.v.m.Set(id)
		s = r.f(p, p)
		r.memo[id] = s
	}
	return s
}

func writeMatrix(w io.Writer, eng *netpol.Engine, namespaces []string, format string, byGroup bool, cni []*netpol.CNIPolicy) error {
	v, err := newMatrixView(eng, namespaces)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	switch {
	case byGroup:
		err = v.writeGroupsJSON(bw, namespaces, cni)
	case format == "json":
		err = v.writeJSON(bw, namespaces, cni)
	case format == "csv":
		err = v.writeCSV(bw)
	case format == "dot":
		err = v.writeDot(bw)
	default:
		err = v.writeTable(bw, namespaces)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

type matrixLeftOut struct {
	Workload string `json:"workload"`
	Reason   string `json:"reason"`
}

func (v *matrixView) leftOut(namespaces []string) []matrixLeftOut {
	want := map[string]bool{}
	for _, ns := range namespaces {
		want[ns] = true
	}
	var out []matrixLeftOut
	for _, wl := range v.eng.HostNetworkWorkloads() {
		if len(want) == 0 || want[wl.Namespace] {
			out = append(out, matrixLeftOut{wl.ID(), "hostNetwork: its pods use the node's network, which no network policy selects or matches"})
		}
	}
	return out
}

// jsonPorts is the "ports" value and the partial flag of an edge: "all", or a list of
// port ranges.
func jsonPorts(every, some netpol.PortSet) (any, bool) {
	var ps any = "all"
	if !some.IsAll() {
		var list []string
		for _, r := range some.Ranges() {
			list = append(list, r.String())
		}
		if some.HasOther() {
			list = append(list, "other protocols")
		}
		ps = list
	}
	return ps, !every.Equal(some)
}

// jsonEdgeTail renders an edge after its "from" and "to", indented as an element of the
// top-level "edges" list; "" when nothing is allowed.
func jsonEdgeTail(every, some netpol.PortSet) string {
	if some.IsEmpty() {
		return ""
	}
	ps, partial := jsonPorts(every, some)
	b, _ := json.MarshalIndent(ps, "      ", "  ")
	s := ",\n      \"ports\": " + string(b)
	if partial {
		s += ",\n      \"partial\": true"
	}
	return s + "\n    }"
}

// splitEdges encodes doc (whose edges list is empty) as the JSON encoder indents it, and
// cuts it where the edges go.
func splitEdges(doc any) (head, tail string, err error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return "", "", err
	}
	const mark = "\n  \"edges\": ["
	i := strings.Index(b.String(), mark)
	if i < 0 || !strings.HasPrefix(b.String()[i+len(mark):], "]") {
		return "", "", errors.New("matrix: no place for the edges")
	}
	return b.String()[:i+len(mark)], b.String()[i+len(mark)+1:], nil
}

// writeJSON writes what the JSON encoder would write for the whole document, edge by edge.
func (v *matrixView) writeJSON(w *bufio.Writer, namespaces []string, cni []*netpol.CNIPolicy) error {
	doc := struct {
		Endpoints []string `json:"endpoints"`
		Edges     []any    `json:"edges"`
		// LeftOut are the workloads the matrix cannot show, and why.
		LeftOut []matrixLeftOut `json:"leftOut,omitempty"`
		// NotEvaluated are the inputs the answers do not take into account.
		NotEvaluated []string `json:"notEvaluated,omitempty"`
	}{Edges: []any{}, LeftOut: v.leftOut(namespaces), NotEvaluated: notEvaluated(v.eng, cni)}
	all := v.all()
	for _, ep := range all {
		doc.Endpoints = append(doc.Endpoints, ep.name)
	}
	return v.writeEdges(w, doc, all)
}

// writeEdges writes doc, whose edges are written as they are computed: one per pair of ends
// with a connection, in the order of ends.
func (v *matrixView) writeEdges(w *bufio.Writer, doc any, ends []matrixEndpoint) error {
	head, tail, err := splitEdges(doc)
	if err != nil {
		return err
	}
	quoted := make([]string, len(ends))
	for i, ep := range ends {
		b, _ := json.Marshal(ep.name)
		quoted[i] = string(b)
	}
	r := v.renderer(jsonEdgeTail)
	w.WriteString(head)
	n := 0
	for i, f := range ends {
		r.startRow(f)
		for j, t := range ends {
			s := r.cell(f, t)
			if s == "" {
				continue
			}
			if n > 0 {
				w.WriteByte(',')
			}
			n++
			w.WriteString("\n    {\n      \"from\": ")
			w.WriteString(quoted[i])
			w.WriteString(",\n      \"to\": ")
			w.WriteString(quoted[j])
			if _, err := w.WriteString(s); err != nil {
				return err
			}
		}
	}
	if n > 0 {
		w.WriteString("\n  ")
	}
	w.WriteByte(']')
	_, err = w.WriteString(tail)
	return err
}

func (v *matrixView) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	all := v.all()
	head := []string{`from\to`}
	for _, t := range all {
		head = append(head, t.name)
	}
	_ = cw.Write(head)
	r := v.renderer(cell)
	row := make([]string, 0, len(all)+1)
	for _, f := range all {
		r.startRow(f)
		row = append(row[:0], f.name)
		for _, t := range all {
			row = append(row, r.cell(f, t))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeTable writes the matrix aligned as text/tabwriter aligns it (padding 2), in two
// passes: the first measures the columns, the second writes the rows.
func (v *matrixView) writeTable(w *bufio.Writer, namespaces []string) error {
	all := v.all()
	r := v.renderer(cell)
	const corner = `FROM \ TO`
	width := make([]int, len(all)) // width[0]: the names; width[1+j]: column j (not the last)
	width[0] = utf8.RuneCountInString(corner)
	for j, t := range all[:len(all)-1] {
		width[1+j] = utf8.RuneCountInString(t.name)
	}
	for _, f := range all {
		r.startRow(f)
		width[0] = max(width[0], utf8.RuneCountInString(f.name))
		for j, t := range all[:len(all)-1] {
			width[1+j] = max(width[1+j], utf8.RuneCountInString(r.cell(f, t)))
		}
	}
	spaces := strings.Repeat(" ", slices.Max(width)+2)
	pad := func(s string, n int) {
		w.WriteString(s)
		if k := n + 2 - utf8.RuneCountInString(s); k > 0 {
			w.WriteString(spaces[:k])
		}
	}
	pad(corner, width[0])
	for j, t := range all {
		if j == len(all)-1 {
			w.WriteString(t.name)
		} else {
			pad(t.name, width[1+j])
		}
	}
	w.WriteByte('\n')
	for _, f := range all {
		r.startRow(f)
		pad(f.name, width[0])
		for j, t := range all {
			if j == len(all)-1 {
				w.WriteString(r.cell(f, t))
			} else {
				pad(r.cell(f, t), width[1+j])
			}
		}
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, "\nPorts are TCP unless marked; - is nothing; * marks ports open to some internet addresses only.")
	for _, wl := range v.eng.HostNetworkWorkloads() {
		if len(namespaces) == 0 || namespaces[0] == wl.Namespace {
			_, err = fmt.Fprintf(w, "Left out: %s uses hostNetwork; no NetworkPolicy applies to it.\n", wl.ID())
		}
	}
	return err
}

func (v *matrixView) writeDot(w *bufio.Writer) error {
	w.WriteString("digraph reach {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	w.WriteString("  \"internet\" [shape=ellipse];\n")
	byNS := map[string][]matrixEndpoint{}
	var nss []string
	for _, ep := range v.eps {
		if len(byNS[ep.ns]) == 0 {
			nss = append(nss, ep.ns)
		}
		byNS[ep.ns] = append(byNS[ep.ns], ep)
	}
	for i, ns := range nss {
		fmt.Fprintf(w, "  subgraph cluster_%d {\n    label=%s;\n", i, strconv.Quote(ns))
		for _, ep := range byNS[ns] {
			fmt.Fprintf(w, "    %s [label=%s];\n", strconv.Quote(ep.name), strconv.Quote(strings.TrimPrefix(ep.name, ns+"/")))
		}
		w.WriteString("  }\n")
	}
	all := v.all()
	quoted := make([]string, len(all))
	for i, ep := range all {
		quoted[i] = strconv.Quote(ep.name)
	}
	r := v.renderer(func(every, some netpol.PortSet) string {
		if some.IsEmpty() {
			return ""
		}
		style := ""
		if !every.Equal(some) {
			style = ", style=dashed"
		}
		return " [label=" + strconv.Quote(portsShort(some)) + style + "];\n"
	})
	for i, f := range all {
		r.startRow(f)
		for j, t := range all {
			s := r.cell(f, t)
			if s == "" {
				continue
			}
			w.WriteString("  ")
			w.WriteString(quoted[i])
			w.WriteString(" -> ")
			w.WriteString(quoted[j])
			if _, err := w.WriteString(s); err != nil {
				return err
			}
		}
	}
	_, err := w.WriteString("}\n")
	return err
}

// A matrix group is a set of workloads the matrix cannot tell apart: their classes have
// the same row, the same column and the same traffic with the internet. Workloads of one
// pod class (same namespace, labels and so policies) always share a group; classes that
// every policy treats alike do too.
type matrixGroup struct {
	name    string
	cls     *netpol.Class
	members []string
}

// groups partitions the workloads into matrix groups, in the order of their first member.
func (v *matrixView) groups() []*matrixGroup {
	members := map[*netpol.Class][]string{}
	for _, ep := range v.eps {
		members[ep.cls] = append(members[ep.cls], ep.name)
	}
	var out []*matrixGroup
	for _, cs := range v.m.Alike() {
		g := &matrixGroup{cls: cs[0]}
		for _, c := range cs {
			g.members = append(g.members, members[c]...)
		}
		if len(g.members) > 0 { // classes of hostNetwork workloads only
			out = append(out, g)
		}
	}
	for _, g := range out {
		sort.Strings(g.members)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].members[0] < out[j].members[0] })
	for i, g := range out {
		g.name = fmt.Sprintf("g%d", i+1)
	}
	return out
}

// writeGroupsJSON writes the matrix by group: each group with its workloads once, then one
// edge per pair of groups (the internet is the group "internet").
func (v *matrixView) writeGroupsJSON(w *bufio.Writer, namespaces []string, cni []*netpol.CNIPolicy) error {
	type group struct {
		Name      string   `json:"name"`
		Workloads []string `json:"workloads"`
	}
	gs := v.groups()
	doc := struct {
		Groups []group `json:"groups"`
		Edges  []any   `json:"edges"`
		// LeftOut are the workloads the matrix cannot show, and why.
		LeftOut []matrixLeftOut `json:"leftOut,omitempty"`
		// NotEvaluated are the inputs the answers do not take into account.
		NotEvaluated []string `json:"notEvaluated,omitempty"`
	}{Edges: []any{}, LeftOut: v.leftOut(namespaces), NotEvaluated: notEvaluated(v.eng, cni)}
	ends := make([]matrixEndpoint, 0, len(gs)+1)
	for _, g := range gs {
		doc.Groups = append(doc.Groups, group{g.name, g.members})
		ends = append(ends, matrixEndpoint{name: g.name, cls: g.cls})
	}
	doc.Groups = append(doc.Groups, group{"internet", []string{"internet"}})
	ends = append(ends, v.net)
	return v.writeEdges(w, doc, ends)
}
