package cli

import (
	"errors"
	"fmt"
	"io"
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
		by     string
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
other and to and from the internet: as a table, json, csv, or dot (Graphviz). Rows are
written as they are computed, so memory stays bounded whatever the size. With -o json,
--by group writes the compact form: the workloads in groups the matrix cannot tell apart
(same row, column and internet traffic: a pod class, or classes every policy treats
alike), each workload listed once, and one edge per pair of groups. Expanding each group
edge to every pair of members gives exactly the --by workload edges.

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
				switch {
				case by != "workload" && by != "group":
					return exit(scan.ExitInput, fmt.Errorf("--by %q: want workload or group", by))
				case by == "group" && output.value != "json":
					return exit(scan.ExitInput, errors.New("--by group is written as json only (-o json)"))
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
				if err := writeMatrix(e.stdout, eng, nss, output.value, by == "group", cni); err != nil {
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
	f.StringVar(&by, "by", "workload", "with --matrix -o json: workload (a row per pair of workloads) or group (a row per pair of groups of workloads the policies treat alike, each workload listed once)")
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
