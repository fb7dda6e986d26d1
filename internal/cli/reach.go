package cli

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/netpol"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newReachCmd) }

func newReachCmd(e *env) *cobra.Command {
	var (
		in     inputs
		port   string
		matrix bool
		output = newFormat("table", "json", "csv", "dot")
	)
	cmd := &cobra.Command{
		Use:   "reach FROM TO [--port PORT[/PROTO]] | reach --matrix [-n NS]",
		Short: "Tell whether traffic may flow between workloads, and which NetworkPolicies decide it",
		Long: `reach answers as the cluster's network plugin enforces networking.k8s.io/v1
NetworkPolicies: the source's egress policies and the destination's ingress policies must
both allow the traffic; a pod no policy selects for a direction is open in that direction.
AdminNetworkPolicies, BaselineAdminNetworkPolicies (policy.networking.k8s.io/v1alpha1) and
ClusterNetworkPolicies (v1alpha2, v1beta1) are evaluated around them: the Admin tier first
(Accept and Deny are final, Pass hands on), then NetworkPolicies, then the Baseline tier.
Network plugin policies (Cilium, Calico, Antrea) are not evaluated: reach warns about them.

FROM and TO are NAMESPACE/WORKLOAD (a Deployment, StatefulSet, Pod... by name; write
NAMESPACE/KIND/NAME when names clash), NAMESPACE/* (every workload of the namespace), a
WORKLOAD of the -n namespace, a CIDR or address outside the cluster, or "internet" (every
public address). ipBlock rules match addresses outside the cluster only, never pods.
--port is a number or a named container port of the destination, with /TCP (the default),
/UDP or /SCTP; without it, reach lists the ports that are open.

--matrix prints what every workload (of -n, or of every namespace) may send to every
other and to and from the internet: as a table, json, csv, or dot (Graphviz).

Objects come from manifests (-f) or the live cluster (--cluster).
Exit codes: 0 allowed (every pair, for NAMESPACE/*), 1 not allowed, 2 usage or input errors.`,
		Example: `  kubeharden reach -f deploy/ shop/web shop/db --port 5432
  kubeharden reach -f deploy/ internet shop/frontend --port 443 -o json
  kubeharden reach -f deploy/ 'shop/*' kube-system/coredns --port 53/UDP
  kubeharden reach --cluster --matrix -n shop -o dot | dot -Tsvg > shop.svg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if matrix {
				if len(args) != 0 || port != "" {
					return exit(scan.ExitInput, errors.New("--matrix takes no FROM, TO or --port"))
				}
			} else {
				if len(args) != 2 {
					return exit(scan.ExitInput, errors.New("want FROM and TO (or --matrix)"))
				}
				if !output.is("table", "json") {
					return exit(scan.ExitInput, fmt.Errorf("output format %q needs --matrix (want table or json)", output))
				}
			}
			var p *netpol.Port
			if port != "" {
				pp, err := netpol.ParsePort(port)
				if err != nil {
					return exit(scan.ExitInput, fmt.Errorf("--port: %w", err))
				}
				p = &pp
			}
			input, err := in.read(cmd.Context(), e, nil)
			if err != nil {
				return err
			}
			eng := netpol.FromInventory(input.inv)
			for _, msg := range eng.Problems() {
				fmt.Fprintln(e.stderr, "warning:", msg)
			}
			cni := netpol.CNIPolicies(input.inv)
			for _, msg := range notEvaluated(eng, cni) {
				fmt.Fprintln(e.stderr, "warning:", msg)
			}
			ns := ""
			if in.kube.Namespace != nil {
				ns = *in.kube.Namespace
			}
			if matrix {
				var nss []string
				if ns != "" {
					nss = []string{ns}
				}
				if err := writeMatrix(e.stdout, eng, nss, output.value, cni); err != nil {
					return exit(scan.ExitInput, err)
				}
				return warnInput(e, input.errs)
			}
			if ns == "" {
				ns = "default"
			}
			froms, err := endpoints(eng, args[0], ns)
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			tos, err := endpoints(eng, args[1], ns)
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			var out []reachJSON
			allowed := true
			for _, f := range froms {
				for _, t := range tos {
					v, err := eng.Reach(f, t, p)
					if err != nil {
						return exit(scan.ExitInput, err)
					}
					out = append(out, reachOf(v))
					allowed = allowed && v.Allowed
				}
			}
			var v any = out
			if len(out) == 1 {
				v = out[0]
			}
			if err := e.emit("", output.value, v, emitters{
				"table": func(w io.Writer) error { return writeReach(w, out) },
			}); err != nil {
				return err
			}
			if err := warnInput(e, input.errs); err != nil {
				return err
			}
			if !allowed {
				return exit(scan.ExitFindings, nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&port, "port", "", "destination port: NUMBER or NAME, with /TCP (default), /UDP or /SCTP")
	f.BoolVar(&matrix, "matrix", false, "print the workload-to-workload matrix instead of answering one question")
	addFormatFlag(f, output, "(csv and dot with --matrix)")
	in.addFlags(f, true)
	return cmd
}

// endpoints resolves an endpoint argument; a bare workload name is looked up in ns.
func endpoints(eng *netpol.Engine, s, ns string) ([]netpol.Endpoint, error) {
	if !strings.Contains(s, "/") && s != "internet" {
		if _, err := netpol.ParseCIDR(s); err != nil {
			s = ns + "/" + s
		}
	}
	return eng.Endpoints(s)
}

// reachJSON is the answer to one FROM/TO question (a contract: `reach -o json`).
type reachJSON struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Port    string `json:"port,omitempty"`
	Allowed bool   `json:"allowed"`
	// Partial: for a range of addresses, only some of them are allowed.
	Partial bool `json:"partial,omitempty"`
	// Ports are the ports open for every address ("all", "none" or a list); SomePorts,
	// for a partial answer, those open for some addresses.
	Ports           string       `json:"ports"`
	SomePorts       string       `json:"somePorts,omitempty"`
	Egress          sideJSON     `json:"egress"`
	Ingress         sideJSON     `json:"ingress"`
	EgressPolicies  []policyJSON `json:"egressPolicies"`
	IngressPolicies []policyJSON `json:"ingressPolicies"`
}

type sideJSON struct {
	Isolated bool   `json:"isolated"`
	Allowed  bool   `json:"allowed"`
	Reason   string `json:"reason"`
}

// policyJSON is a policy that isolates the pod in a direction, with its rules that allow
// the traffic (none: it only isolates).
type policyJSON struct {
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Allows    bool     `json:"allows"`
	Rules     []string `json:"rules"`
	File      string   `json:"file,omitempty"`
	Line      int      `json:"line,omitempty"`
}

func reachOf(v *netpol.Verdict) reachJSON {
	out := reachJSON{From: v.From.Name, To: v.To.Name, Allowed: v.Allowed, Partial: v.Partial, Ports: v.Ports.String()}
	if v.Port != nil {
		out.Port = v.Port.String()
	}
	if !v.SomePorts.Equal(v.Ports) {
		out.SomePorts = v.SomePorts.String()
	}
	side := func(s netpol.Side, subject string) (sideJSON, []policyJSON) {
		sj := sideJSON{Isolated: s.Isolated, Allowed: s.Allowed, Reason: s.Explain(subject)}
		ps := []policyJSON{}
		for _, pv := range s.Policies {
			pj := policyJSON{Namespace: pv.Policy.Namespace, Name: pv.Policy.Name, Allows: len(pv.Rules) > 0, Rules: []string{}}
			for _, r := range pv.Rules {
				pj.Rules = append(pj.Rules, r.Path())
			}
			if o := pv.Policy.Object; o != nil {
				pj.File, pj.Line = o.Source.File, o.Source.Line
			}
			ps = append(ps, pj)
		}
		return sj, ps
	}
	out.Egress, out.EgressPolicies = side(v.Egress, v.From.Name)
	out.Ingress, out.IngressPolicies = side(v.Ingress, v.To.Name)
	return out
}

func writeReach(w io.Writer, rs []reachJSON) error {
	for i, r := range rs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		verdict := "denied"
		switch {
		case r.Allowed && r.Port == "":
			verdict = "allowed on " + r.Ports
		case r.Allowed:
			verdict = "allowed"
		case r.Partial:
			verdict = "allowed for part of the range only"
		}
		on := ""
		if r.Port != "" {
			on = " on " + r.Port
		}
		fmt.Fprintf(w, "%s -> %s%s: %s\n", r.From, r.To, on, verdict)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  egress of %s:\t%s\n", r.From, r.Egress.Reason)
		fmt.Fprintf(tw, "  ingress of %s:\t%s\n", r.To, r.Ingress.Reason)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// matrixEndpoint is a row or column of the matrix: a workload, or the internet.
type matrixEndpoint struct {
	name string
	ns   string
	cls  *netpol.Class
}

// cell renders a port set compactly: TCP ports without their protocol.
func cell(every, some netpol.PortSet) string {
	s := portsShort(every)
	if !some.Equal(every) {
		if every.IsEmpty() {
			return portsShort(some) + "*"
		}
		s += " (" + portsShort(some) + "*)"
	}
	return s
}

func portsShort(p netpol.PortSet) string {
	switch {
	case p.IsAll():
		return "all"
	case p.IsEmpty():
		return "-"
	}
	var parts []string
	for _, r := range p.Ranges() {
		s := r.String()
		if r.Protocol == netpol.TCP {
			s = strings.TrimSuffix(s, "/TCP")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

// notEvaluated says what the answers leave out: network plugin policies, and peers of
// cluster network policies that match nothing here (nodes, domain names).
func notEvaluated(eng *netpol.Engine, cni []*netpol.CNIPolicy) []string {
	var out []string
	for _, p := range cni {
		out = append(out, fmt.Sprintf("%s is a %s policy, which is not evaluated: answers for %s may be wrong", p.ID(), p.Plugin, p.Touches()))
	}
	for _, p := range eng.ClusterPolicies() {
		for _, path := range p.Unevaluated {
			out = append(out, fmt.Sprintf("%s %s is not evaluated (node and domain-name peers match nothing here)", p.ID(), path))
		}
	}
	return out
}

func writeMatrix(w io.Writer, eng *netpol.Engine, namespaces []string, format string, cni []*netpol.CNIPolicy) error {
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
		return errors.New("no workloads to show (hostNetwork workloads are left out: no policy applies to them)")
	}
	net := matrixEndpoint{name: "internet"}
	all := append(append([]matrixEndpoint{}, eps...), net)
	// ports returns what from may send to to, for every address and for some.
	ports := func(from, to matrixEndpoint) (netpol.PortSet, netpol.PortSet) {
		switch {
		case from.cls == nil && to.cls == nil:
			return netpol.NoPorts, netpol.NoPorts
		case from.cls == nil:
			return m.FromInternet(to.cls)
		case to.cls == nil:
			return m.ToInternet(from.cls)
		}
		p := m.Ports(from.cls, to.cls)
		return p, p
	}
	switch format {
	case "json":
		type edge struct {
			From    string `json:"from"`
			To      string `json:"to"`
			Ports   any    `json:"ports"`
			Partial bool   `json:"partial,omitempty"`
		}
		type leftOut struct {
			Workload string `json:"workload"`
			Reason   string `json:"reason"`
		}
		out := struct {
			Endpoints []string `json:"endpoints"`
			Edges     []edge   `json:"edges"`
			// LeftOut are the workloads the matrix cannot show, and why.
			LeftOut []leftOut `json:"leftOut,omitempty"`
			// NotEvaluated are the inputs the answers do not take into account.
			NotEvaluated []string `json:"notEvaluated,omitempty"`
		}{Edges: []edge{}, NotEvaluated: notEvaluated(eng, cni)}
		want := map[string]bool{}
		for _, ns := range namespaces {
			want[ns] = true
		}
		for _, wl := range eng.HostNetworkWorkloads() {
			if len(want) == 0 || want[wl.Namespace] {
				out.LeftOut = append(out.LeftOut, leftOut{wl.ID(), "hostNetwork: its pods use the node's network, which no network policy selects or matches"})
			}
		}
		for _, ep := range all {
			out.Endpoints = append(out.Endpoints, ep.name)
		}
		for _, f := range all {
			for _, t := range all {
				every, some := ports(f, t)
				if some.IsEmpty() {
					continue
				}
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
				out.Edges = append(out.Edges, edge{f.name, t.name, ps, !every.Equal(some)})
			}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(&out)
	case "csv":
		cw := csv.NewWriter(w)
		head := []string{`from\to`}
		for _, t := range all {
			head = append(head, t.name)
		}
		_ = cw.Write(head)
		for _, f := range all {
			row := []string{f.name}
			for _, t := range all {
				row = append(row, cell(ports(f, t)))
			}
			_ = cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	case "dot":
		return writeDot(w, eps, net, ports)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, `FROM \ TO`)
	for _, t := range all {
		fmt.Fprint(tw, "\t", t.name)
	}
	fmt.Fprintln(tw)
	for _, f := range all {
		fmt.Fprint(tw, f.name)
		for _, t := range all {
			fmt.Fprint(tw, "\t", cell(ports(f, t)))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nPorts are TCP unless marked; - is nothing; * marks ports open to some internet addresses only.")
	for _, wl := range eng.HostNetworkWorkloads() {
		if len(namespaces) == 0 || namespaces[0] == wl.Namespace {
			_, err = fmt.Fprintf(w, "Left out: %s uses hostNetwork; no NetworkPolicy applies to it.\n", wl.ID())
		}
	}
	return err
}

func writeDot(w io.Writer, eps []matrixEndpoint, net matrixEndpoint, ports func(a, b matrixEndpoint) (netpol.PortSet, netpol.PortSet)) error {
	var b strings.Builder
	b.WriteString("digraph reach {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  \"internet\" [shape=ellipse];\n")
	byNS := map[string][]matrixEndpoint{}
	var nss []string
	for _, ep := range eps {
		if len(byNS[ep.ns]) == 0 {
			nss = append(nss, ep.ns)
		}
		byNS[ep.ns] = append(byNS[ep.ns], ep)
	}
	for i, ns := range nss {
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%s;\n", i, strconv.Quote(ns))
		for _, ep := range byNS[ns] {
			fmt.Fprintf(&b, "    %s [label=%s];\n", strconv.Quote(ep.name), strconv.Quote(strings.TrimPrefix(ep.name, ns+"/")))
		}
		b.WriteString("  }\n")
	}
	all := append(append([]matrixEndpoint{}, eps...), net)
	for _, f := range all {
		for _, t := range all {
			every, some := ports(f, t)
			if some.IsEmpty() {
				continue
			}
			style := ""
			if !every.Equal(some) {
				style = ", style=dashed"
			}
			fmt.Fprintf(&b, "  %s -> %s [label=%s%s];\n", strconv.Quote(f.name), strconv.Quote(t.name), strconv.Quote(portsShort(some)), style)
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
