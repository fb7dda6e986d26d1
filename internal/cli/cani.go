package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/rbac"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newCanICmd) }

// request are the flags and arguments that describe a request, shared by can-i and who-can.
type request struct {
	nonResourceURL string
	clusterScoped  bool // the resource is a built-in cluster-scoped one
}

func (r *request) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.nonResourceURL, "non-resource-url", "", "a non-resource URL (/healthz, /metrics) instead of RESOURCE")
}

// attributes reads VERB RESOURCE[/SUB] [NAME] (or VERB /URL, or VERB --non-resource-url
// /URL) into request attributes. The namespace is -n, else none with -A, else the
// kubeconfig context's namespace for a live cluster, else "default"; cluster-scoped
// built-in resources have none.
func (r *request) attributes(args []string, in *inputs) (rbac.Attributes, error) {
	if len(args) == 0 {
		return rbac.Attributes{}, errors.New("missing VERB")
	}
	a := rbac.Attributes{Verb: args[0]}
	rest := args[1:]
	if r.nonResourceURL == "" && len(rest) == 1 && strings.HasPrefix(rest[0], "/") {
		r.nonResourceURL, rest = rest[0], nil
	}
	if r.nonResourceURL != "" {
		if len(rest) > 0 {
			return a, errors.New("a non-resource URL takes no RESOURCE or NAME")
		}
		if !strings.HasPrefix(r.nonResourceURL, "/") {
			return a, fmt.Errorf("non-resource URL %q must start with /", r.nonResourceURL)
		}
		a.Path = r.nonResourceURL
		return a, nil
	}
	if len(rest) == 0 || len(rest) > 2 {
		return a, errors.New("want VERB RESOURCE[/SUBRESOURCE] [NAME], or VERB /NON-RESOURCE-URL")
	}
	res, err := rbac.ParseResource(rest[0])
	if err != nil {
		return a, err
	}
	a.APIGroup, a.Resource, a.Subresource = res.Group, res.Resource, res.Subresource
	r.clusterScoped = res.ClusterScoped
	if len(rest) == 2 {
		a.Name = rest[1]
	}
	switch {
	case res.ClusterScoped:
	case in.kube.Namespace != nil && *in.kube.Namespace != "":
		a.Namespace = *in.kube.Namespace
	case in.allNamespaces:
	case in.cluster:
		if ns, _, err := in.kube.ToRawKubeConfigLoader().Namespace(); err == nil && ns != "" {
			a.Namespace = ns
		} else {
			a.Namespace = "default"
		}
	default:
		a.Namespace = "default"
	}
	return a, nil
}

// engine builds the RBAC engine of the input: manifests get the default policy a cluster
// has, a live cluster has its own.
func (in *input) engine() *rbac.Engine {
	return rbac.FromInventory(in.inv, rbac.Options{Defaults: !in.live})
}

// read reads the request from args, then the input, and builds the input's RBAC engine:
// what can-i and who-can do before they answer.
func (r *request) read(cmd *cobra.Command, e *env, in *inputs, args []string) (rbac.Attributes, *input, *rbac.Engine, error) {
	a, err := r.attributes(args, in)
	if err != nil {
		return a, nil, nil, exit(scan.ExitInput, err)
	}
	input, err := in.read(cmd.Context(), e, nil)
	if err != nil {
		return a, nil, nil, err
	}
	return a, input, input.engine(), nil
}

// warnInput prints input errors to stderr; the command then exits 2 after its answer.
func warnInput(e *env, errs []check.Error) error {
	if len(errs) == 0 {
		return nil
	}
	for _, err := range errs {
		fmt.Fprintln(e.stderr, "error:", err.Error())
	}
	return exit(scan.ExitInput, fmt.Errorf("%d input error(s): the answer covers only what could be read", len(errs)))
}

// viaJSON is how a grant is written in JSON.
type viaJSON struct {
	Binding string `json:"binding"`
	Role    string `json:"role"`
	Rule    string `json:"rule"`
}

func via(g *rbac.Grant) viaJSON {
	return viaJSON{Binding: g.Binding.String(), Role: g.Role.String(), Rule: g.RuleString()}
}

type reasonJSON struct {
	Subject rbac.Subject `json:"subject"`
	viaJSON
}

type canIJSON struct {
	Allowed bool         `json:"allowed"`
	Reasons []reasonJSON `json:"reasons"`
}

func newCanICmd(e *env) *cobra.Command {
	var (
		in     inputs
		req    request
		as     string
		groups []string
		output = newFormat("table", "json")
	)
	cmd := &cobra.Command{
		Use:   "can-i --as USER [--as-group GROUP]... VERB RESOURCE[/SUBRESOURCE] [NAME] [-n NS]",
		Short: "Tell whether a user may make a request, and which bindings allow it",
		Long: `can-i answers as the API server's RBAC authorizer would for a request made with
kubectl --as USER --as-group GROUP: a service account user (system:serviceaccount:NS:NAME)
gets its service account groups, and every user but system:anonymous is in
system:authenticated. Members of system:masters are allowed everything.

The request is read from manifests (-f, with the default policy every cluster has, so that
bindings to admin, edit or view mean what they mean in a cluster) or from the live cluster
(--cluster). The namespace is -n, or all namespaces with -A, or the context's namespace
(default). Resources are written as kubectl writes them: pods, pods/exec,
deployments.apps/scale; a non-resource URL starts with a slash.

Exit codes: 0 yes, 1 no, 2 usage or input errors.`,
		Example: `  kubeharden can-i --as alice -f deploy/ get secrets -n shop
  kubeharden can-i --as system:serviceaccount:ci:builder -f deploy/ create pods/exec -n ci
  kubeharden can-i --as bob --as-group ops --cluster get /metrics`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if as == "" {
				return exit(scan.ExitInput, errors.New("--as USER is required"))
			}
			a, input, eng, err := req.read(cmd, e, &in, args)
			if err != nil {
				return err
			}
			user, grps := rbac.Impersonate(as, groups)
			allowed := eng.Allowed(user, grps, a)
			out := canIJSON{Allowed: allowed, Reasons: []reasonJSON{}}
			if allowed && containsString(grps, rbac.Masters) {
				out.Reasons = append(out.Reasons, reasonJSON{Subject: rbac.Subject{Kind: rbac.GroupKind, Name: rbac.Masters},
					viaJSON: viaJSON{Rule: "system:masters is allowed everything, before RBAC is asked"}})
			}
			for _, g := range eng.Reasons(user, grps, a) {
				out.Reasons = append(out.Reasons, reasonJSON{Subject: g.Subject, viaJSON: via(&g)})
			}
			if err := e.emit("", output.value, &out, emitters{
				"table": func(w io.Writer) error { return writeCanI(w, &out) },
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
	cmd.Flags().StringVar(&as, "as", "", "user to ask for (a service account is system:serviceaccount:NS:NAME)")
	cmd.Flags().StringArrayVar(&groups, "as-group", nil, "group the user is in (repeatable)")
	addFormatFlag(cmd.Flags(), output, "")
	req.addFlags(cmd)
	in.addFlags(cmd.Flags(), false)
	return cmd
}

func writeCanI(w io.Writer, out *canIJSON) error {
	answer := "no"
	if out.Allowed {
		answer = "yes"
	}
	if _, err := fmt.Fprintln(w, answer); err != nil || len(out.Reasons) == 0 {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSUBJECT\tBINDING\tROLE\tRULE")
	for _, r := range out.Reasons {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Subject, dash(r.Binding), dash(r.Role), r.Rule)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func containsString(set []string, s string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}
