package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/rbac"
)

func init() { register(newWhoCanCmd) }

type whoCanSubject struct {
	Kind      string  `json:"kind"`
	Name      string  `json:"name"`
	Namespace string  `json:"namespace"`
	Via       viaJSON `json:"via"`
}

type whoCanJSON struct {
	Subjects []whoCanSubject `json:"subjects"`
}

func newWhoCanCmd(e *env) *cobra.Command {
	var (
		in     inputs
		req    request
		output = newFormat("table", "json")
	)
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE[/SUBRESOURCE] [NAME] [-n NS | -A]",
		Short: "List the subjects that may make a request, with the binding, role and rule that allow it",
		Long: `who-can lists every User, Group and ServiceAccount that a binding allows to make the
request, as the API server's RBAC authorizer would decide it, with the binding, role and rule
that grant it. A Group stands for its members: system:authenticated is every signed-in user.
Members of system:masters are allowed everything and are not listed.

The request is in namespace -n, or in the context's namespace (default); with -A, in any
namespace: ClusterRoleBindings and each namespace's RoleBindings (the binding shows where).
Objects come from manifests (-f, with the default policy of a cluster) or --cluster.`,
		Example: `  kubeharden who-can -f deploy/ get secrets -n shop
  kubeharden who-can -f deploy/ create pods/exec -A
  kubeharden who-can --cluster get --non-resource-url /metrics -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, input, eng, err := req.read(cmd, e, &in, args)
			if err != nil {
				return err
			}
			var grants []rbac.Grant
			if in.allNamespaces && !a.NonResource() && !req.clusterScoped && a.Namespace == "" {
				grants = eng.Holders(a)
			} else {
				grants = eng.WhoCan(a)
			}
			out := whoCanJSON{Subjects: []whoCanSubject{}}
			for _, g := range grants {
				out.Subjects = append(out.Subjects, whoCanSubject{Kind: g.Subject.Kind, Name: g.Subject.Name, Namespace: g.Subject.Namespace, Via: via(&g)})
			}
			if err := e.emit("", output.value, &out, emitters{
				"table": func(w io.Writer) error { return writeWhoCan(w, &out, a) },
			}); err != nil {
				return err
			}
			return warnInput(e, input.errs)
		},
	}
	addFormatFlag(cmd.Flags(), output, "")
	req.addFlags(cmd)
	in.addFlags(cmd.Flags(), true)
	return cmd
}

func writeWhoCan(w io.Writer, out *whoCanJSON, a rbac.Attributes) error {
	if len(out.Subjects) == 0 {
		_, err := fmt.Fprintf(w, "No subject may %s (besides members of system:masters).\n", a)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAMESPACE\tNAME\tBINDING\tROLE\tRULE")
	for _, s := range out.Subjects {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Kind, dash(s.Namespace), s.Name, s.Via.Binding, s.Via.Role, s.Via.Rule)
	}
	return tw.Flush()
}
