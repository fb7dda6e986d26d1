package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/internal/suggest"
	"github.com/kubeharden/kubeharden/scan"
)

// format is the value of a command's -o flag: one of the formats the command accepts. A
// wrong value fails while the flags are parsed, before anything is read, with the formats the
// command takes and the one probably meant.
type format struct {
	value   string
	formats []string
	// fileFlag names the flag that takes a file path, for commands whose -o once took one.
	fileFlag string
}

// newFormat returns a format accepting formats; the first is the default.
func newFormat(formats ...string) *format {
	return &format{value: formats[0], formats: formats}
}

func (f *format) String() string { return f.value }
func (f *format) Type() string   { return "format" }

func (f *format) Set(s string) error {
	for _, x := range f.formats {
		if s == x {
			f.value = s
			return nil
		}
	}
	return &formatError{value: s, formats: f.formats, fileFlag: f.fileFlag}
}

// is reports whether the chosen format is one of names.
func (f *format) is(names ...string) bool {
	for _, n := range names {
		if f.value == n {
			return true
		}
	}
	return false
}

// addFormatFlag adds -o, --output; note, if not empty, follows the list of formats in the
// help text.
func addFormatFlag(fs *pflag.FlagSet, f *format, note string) {
	usage := "output format: " + strings.Join(f.formats, "|")
	if note != "" {
		usage += " " + note
	}
	fs.VarP(f, "output", "o", usage)
}

// formatError is a value of -o that the command does not take.
type formatError struct {
	value    string
	formats  []string
	fileFlag string
}

func (e *formatError) Error() string {
	msg := fmt.Sprintf("unknown output format %q (want %s)", e.value, orList(e.formats))
	if e.fileFlag != "" && (strings.ContainsAny(e.value, "/.\\") || e.value == "-") {
		msg += fmt.Sprintf("; -o takes a format now: write to a file with --%s %s", e.fileFlag, e.value)
	} else if s := suggest.Closest(e.value, e.formats); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return msg
}

// orList is "a", "a or b", "a, b or c".
func orList(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

// emitters write a result in the formats that are not plain JSON or YAML of it.
type emitters map[string]func(io.Writer) error

// emit writes a command's result in format to the file at path, or to standard output when
// path is "" or "-". The format's function in by writes it when there is one; otherwise
// "json" and "yaml" encode v (JSON indented by two spaces, as every -o json is). Errors are
// input errors (exit 2).
func (e *env) emit(path, format string, v any, by emitters) error {
	write, ok := by[format]
	if !ok {
		switch format {
		case "json":
			write = func(w io.Writer) error {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
		case "yaml":
			write = func(w io.Writer) error {
				b, err := json.Marshal(v)
				if err == nil {
					b, err = yaml.JSONToYAML(b)
				}
				if err == nil {
					// The blank line at the end is what diff and rbac review have always written.
					_, err = w.Write(append(b, '\n'))
				}
				return err
			}
		default:
			return exit(scan.ExitInput, fmt.Errorf("output format %q has no writer", format))
		}
	}
	if path == "" || path == "-" {
		if err := write(e.stdout); err != nil {
			return exit(scan.ExitInput, err)
		}
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return exit(scan.ExitInput, err)
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return exit(scan.ExitInput, fmt.Errorf("write %s: %w", path, err))
	}
	return nil
}
