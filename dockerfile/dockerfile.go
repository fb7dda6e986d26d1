// Package dockerfile reads Dockerfiles (and Containerfiles) with BuildKit's own parser into a
// small model of stages and instructions that checks judge, and wraps each file as an
// inventory object of kind Dockerfile (apiVersion kubeharden.io/v1, named by its path) whose
// line table points every finding at the instruction it is about. Reports then treat a
// Dockerfile like any manifest: file, line, check, message.
//
// Values of ENV and ARG whose names look like secrets (see SecretName) are dropped while
// reading, so that no report, snapshot or debug dump can carry them.
package dockerfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeharden/kubeharden/inventory"
)

// APIVersion and Kind of the inventory objects that stand for Dockerfiles.
const (
	APIVersion = "kubeharden.io/v1"
	Kind       = "Dockerfile"
)

// File is a parsed Dockerfile.
type File struct {
	// Args are the ARG instructions before the first FROM, which FROM lines may use.
	Args   []Instruction `json:"args,omitempty"`
	Stages []Stage       `json:"stages"`
}

// Stage is one FROM and the instructions up to the next.
type Stage struct {
	// Name is the stage's name (FROM ... AS name), lower-cased as BuildKit does.
	Name string `json:"name,omitempty"`
	// From is the base as written; Base is From with the global ARG defaults substituted,
	// empty when it names an ARG without a default (the base is then unknown).
	From     string `json:"from"`
	Base     string `json:"base,omitempty"`
	Platform string `json:"platform,omitempty"`
	Line     int    `json:"line"`
	// Instructions are the stage's instructions after FROM.
	Instructions []Instruction `json:"instructions,omitempty"`
}

// Instruction is one instruction.
type Instruction struct {
	// Command is the keyword in upper case: RUN, ENV, USER, ...
	Command string `json:"command"`
	Line    int    `json:"line"`
	EndLine int    `json:"endLine,omitempty"`
	// Args are the arguments: the command line of RUN, CMD and ENTRYPOINT (one string in
	// shell form), the user of USER, the sources then the destination of ADD and COPY.
	Args []string `json:"args,omitempty"`
	// Shell is set for the shell form of RUN, CMD and ENTRYPOINT.
	Shell bool `json:"shell,omitempty"`
	// Heredocs are the bodies of here-documents (RUN <<EOF ... EOF).
	Heredocs []string `json:"heredocs,omitempty"`
	// Vars are the variables of ENV and ARG.
	Vars []Var `json:"vars,omitempty"`
	// Mounts are the RUN --mount flags.
	Mounts []Mount `json:"mounts,omitempty"`
	// Checksum is ADD --checksum; From is COPY --from.
	Checksum string `json:"checksum,omitempty"`
	From     string `json:"from,omitempty"`
}

// Var is a variable an ENV or ARG sets or declares.
type Var struct {
	Name string `json:"name"`
	// Value is empty when HasValue is false (ARG without default) or when the name looks
	// like a secret (Redacted).
	Value    string `json:"value,omitempty"`
	HasValue bool   `json:"hasValue,omitempty"`
	Redacted bool   `json:"redacted,omitempty"`
}

// Mount is a RUN --mount.
type Mount struct {
	Type   string `json:"type"`
	Target string `json:"target,omitempty"`
}

// IsDockerfile reports whether a file name is one kubeharden reads as a Dockerfile:
// Dockerfile, Containerfile, or a name ending in .Dockerfile or .Containerfile (any case).
func IsDockerfile(name string) bool {
	base := strings.ToLower(filepath.Base(name))
	return base == "dockerfile" || base == "containerfile" ||
		strings.HasSuffix(base, ".dockerfile") || strings.HasSuffix(base, ".containerfile")
}

// Load parses one Dockerfile read from name and returns it as an inventory object. A file
// that cannot be parsed yields an error with its line and no object; an instruction that
// cannot be parsed yields an error and is left out, the rest being kept.
func Load(name string, data []byte) ([]*inventory.Object, []inventory.Error) {
	f, errs := Parse(name, data)
	if f == nil {
		return nil, errs
	}
	o, err := f.Object(name)
	if err != nil {
		return nil, append(errs, inventory.Error{File: name, Message: err.Error()})
	}
	return []*inventory.Object{o}, errs
}

// Parse parses a Dockerfile. It returns nil and the errors when nothing could be read.
func Parse(name string, data []byte) (f *File, errs []inventory.Error) {
	defer func() {
		// The parser is not expected to panic, but a Dockerfile is untrusted input.
		if r := recover(); r != nil {
			f, errs = nil, []inventory.Error{{File: name, Message: fmt.Sprintf("cannot parse the Dockerfile: %v", r)}}
		}
	}()
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, []inventory.Error{{File: name, Line: errorLine(err), Message: "cannot parse the Dockerfile: " + errorText(err)}}
	}
	lint := linter.New(&linter.Config{}) // no Warn: BuildKit's own lint messages are not ours
	lex := shell.NewLex(res.EscapeToken)
	f = &File{}
	globals := vars{}
	for _, n := range res.AST.Children {
		cmd, err := instructions.ParseInstructionWithLinter(n, lint)
		if err != nil {
			errs = append(errs, inventory.Error{File: name, Line: n.StartLine, Message: errorText(err)})
			continue
		}
		if st, ok := cmd.(*instructions.Stage); ok {
			f.Stages = append(f.Stages, stage(st, n, lex, globals))
			continue
		}
		in := instruction(cmd, n)
		if len(f.Stages) == 0 {
			if a, ok := cmd.(*instructions.ArgCommand); ok {
				for _, kv := range a.Args {
					// An ARG without a default stays unresolved (a --build-arg sets it),
					// unless an earlier ARG gave it one.
					if kv.Value != nil {
						globals[kv.Key] = *kv.Value
					}
				}
				f.Args = append(f.Args, in)
				continue
			}
			errs = append(errs, inventory.Error{File: name, Line: n.StartLine, Message: in.Command + " before the first FROM: only ARG may come before FROM"})
			continue
		}
		s := &f.Stages[len(f.Stages)-1]
		s.Instructions = append(s.Instructions, in)
	}
	if len(f.Stages) == 0 {
		if len(errs) > 0 {
			return nil, errs
		}
		return nil, []inventory.Error{{File: name, Line: 1, Message: "the Dockerfile has no FROM instruction"}}
	}
	return f, errs
}

// vars are the global ARG defaults, which FROM lines may expand.
type vars map[string]string

func (v vars) Get(k string) (string, bool) { s, ok := v[k]; return s, ok }

func (v vars) Keys() []string {
	out := make([]string, 0, len(v))
	for k := range v {
		out = append(out, k)
	}
	return out
}

func stage(st *instructions.Stage, n *parser.Node, lex *shell.Lex, globals vars) Stage {
	s := Stage{Name: st.Name, From: st.BaseName, Platform: st.Platform, Line: n.StartLine}
	if r, err := lex.ProcessWordWithMatches(st.BaseName, globals); err == nil && len(r.Unmatched) == 0 {
		s.Base = r.Result
	}
	return s
}

func instruction(cmd any, n *parser.Node) Instruction {
	in := Instruction{Command: strings.ToUpper(n.Value), Line: n.StartLine}
	if n.EndLine > n.StartLine {
		in.EndLine = n.EndLine
	}
	shellForm := func(c instructions.ShellDependantCmdLine) {
		in.Args, in.Shell = c.CmdLine, c.PrependShell
		for _, h := range c.Files {
			in.Heredocs = append(in.Heredocs, h.Data)
		}
	}
	switch c := cmd.(type) {
	case *instructions.RunCommand:
		shellForm(c.ShellDependantCmdLine)
		// Mount options are parsed on expansion; variables are kept as written.
		_ = c.Expand(func(w string) (string, error) { return w, nil })
		for _, m := range instructions.GetMounts(c) {
			in.Mounts = append(in.Mounts, Mount{Type: string(m.Type), Target: m.Target})
		}
	case *instructions.CmdCommand:
		shellForm(c.ShellDependantCmdLine)
	case *instructions.EntrypointCommand:
		shellForm(c.ShellDependantCmdLine)
	case *instructions.UserCommand:
		in.Args = []string{c.User}
	case *instructions.AddCommand:
		in.Args = append(append([]string{}, c.SourcePaths...), c.DestPath)
		in.Checksum = c.Checksum
	case *instructions.CopyCommand:
		in.Args = append(append([]string{}, c.SourcePaths...), c.DestPath)
		in.From = c.From
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			in.Vars = append(in.Vars, newVar(kv.Key, kv.Value, true))
		}
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			in.Vars = append(in.Vars, newVar(kv.Key, kv.ValueString(), kv.Value != nil))
		}
	case *instructions.WorkdirCommand:
		in.Args = []string{c.Path}
	case *instructions.OnbuildCommand:
		in.Args = []string{c.Expression}
	}
	return in
}

func newVar(name, value string, has bool) Var {
	// Values are kept as written, variables unexpanded; only quotes around nothing
	// (ENV TOKEN="") are read as the empty value they are.
	if strings.Trim(value, `"'`) == "" {
		value = ""
	}
	v := Var{Name: name, Value: value, HasValue: has}
	if SecretName(name) {
		v.Value, v.Redacted = "", has && value != ""
	}
	return v
}

// Object wraps f as an inventory object named by path. Its line table maps
// "spec.stages[i]" to stage i's FROM line, "spec.stages[i].instructions[j]" to each
// instruction and "spec.args[k]" to the global ARGs.
func (f *File) Object(path string) (*inventory.Object, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": APIVersion,
		"kind":       Kind,
		"metadata":   map[string]any{"name": path},
		"spec":       spec,
	}}
	lines := &inventory.LineTable{}
	root := inventory.Root.Field("spec")
	for k, a := range f.Args {
		lines.Add(root.Field("args").Index(k), a.Line)
	}
	for i, s := range f.Stages {
		sh := root.Field("stages").Index(i)
		lines.Add(sh, s.Line)
		lines.Add(sh.Field("from"), s.Line)
		for j, in := range s.Instructions {
			lines.Add(sh.Field("instructions").Index(j), in.Line)
		}
	}
	lines.Seal()
	return inventory.New(u, inventory.Source{File: path, Line: 1}, lines), nil
}

// FromObject returns the Dockerfile an inventory object stands for, or false when o is not
// a Dockerfile object.
func FromObject(o *inventory.Object) (*File, bool) {
	if o.Kind != Kind || o.APIVersion != APIVersion {
		return nil, false
	}
	u, ok := o.Unstructured()
	if !ok {
		return nil, false
	}
	b, err := json.Marshal(u.Object["spec"])
	if err != nil {
		return nil, false
	}
	var f File
	if json.Unmarshal(b, &f) != nil || len(f.Stages) == 0 {
		return nil, false
	}
	return &f, true
}

// StagePath is the field path of stage i ("spec.stages[1]"), for findings on its FROM line.
func StagePath(i int) string { return "spec.stages[" + strconv.Itoa(i) + "]" }

// InstructionPath is the field path of instruction j of stage i.
func InstructionPath(i, j int) string {
	return StagePath(i) + ".instructions[" + strconv.Itoa(j) + "]"
}

// ArgPath is the field path of global ARG k.
func ArgPath(k int) string { return "spec.args[" + strconv.Itoa(k) + "]" }

func errorLine(err error) int {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return le.Locations[0][0].Start.Line
	}
	return 0
}

// errorText is the first line of err without the stack traces BuildKit errors may carry.
func errorText(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
