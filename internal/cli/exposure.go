package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newExposureCmd) }

func newExposureCmd(e *env) *cobra.Command {
	var (
		in     inputs
		output = newFormat("table", "json")
	)
	cmd := &cobra.Command{
		Use:   "exposure [PATH|-]...",
		Short: "List every entry point into the cluster and its TLS status",
		Long: `Exposure lists every way traffic enters the cluster: Ingress hosts, Gateway
listeners, LoadBalancer and NodePort Services, external IPs, host ports and host-network
pods, with the workloads and ports behind each, whether the traffic is encrypted, and the
certificate that encrypts it (subject and expiry; never a key).

Exit codes: 0 listed, 2 usage or input errors (the list still shows what could be read),
3 cluster unreachable.`,
		Example: `  kubeharden exposure -f examples/insecure
  kubeharden exposure --cluster -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			in.progress = output.is("table")
			input, err := in.read(cmd.Context(), e, args)
			if err != nil {
				return err
			}
			entries := exposure.List(input.inv, time.Now())
			if err := e.emit("", output.value, exposureOf(entries, input.errs), emitters{
				"table": func(w io.Writer) error { return writeExposureTable(w, entries) },
			}); err != nil {
				return err
			}
			for _, er := range input.errs {
				fmt.Fprintln(e.stderr, "error:", er.Error())
			}
			if len(input.errs) > 0 {
				return exit(scan.ExitInput, nil)
			}
			return nil
		},
	}
	addFormatFlag(cmd.Flags(), output, "")
	addInputFlags(cmd, &in)
	return cmd
}

// exposureJSON is the shape of `kubeharden exposure -o json`.
type exposureJSON struct {
	Entries []exposure.Entry `json:"entries"`
	Errors  []check.Error    `json:"errors"`
}

// exposureOf is the -o json result: empty lists are [], never null.
func exposureOf(entries []exposure.Entry, errs []check.Error) exposureJSON {
	out := exposureJSON{Entries: entries, Errors: errs}
	if out.Entries == nil {
		out.Entries = []exposure.Entry{}
	}
	if out.Errors == nil {
		out.Errors = []check.Error{}
	}
	return out
}

func writeExposureTable(w io.Writer, entries []exposure.Entry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "No entry points found.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tENTRY\tTLS\tBACKENDS\tOBJECT\tSOURCE")
	for _, en := range entries {
		tls := string(en.TLS)
		var notes []string
		if en.TLSDetail != "" {
			notes = append(notes, en.TLSDetail)
		}
		if en.Plaintext != "" {
			notes = append(notes, en.Plaintext+" in clear text")
		}
		if en.Note != "" {
			notes = append(notes, en.Note)
		}
		if len(en.SourceRanges) > 0 {
			notes = append(notes, "from "+strings.Join(en.SourceRanges, ", "))
		} else if en.Kind == exposure.LoadBalancer && !strings.HasPrefix(en.Note, "internal") {
			notes = append(notes, "from anywhere")
		}
		if len(notes) > 0 {
			tls += " (" + strings.Join(notes, "; ") + ")"
		}
		var bs []string
		for _, b := range en.Backends {
			bs = append(bs, b.String())
		}
		backends := strings.Join(bs, ", ")
		if backends == "" {
			backends = "-"
		}
		src := "-"
		if en.File != "" {
			src = fmt.Sprintf("%s:%d", en.File, en.Line)
		}
		obj := en.Object.Kind + "/" + en.Object.Name
		if en.Object.Namespace != "" {
			obj = en.Object.Namespace + "/" + obj
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", en.Kind, en.Endpoint, tls, backends, obj, src)
	}
	return tw.Flush()
}
