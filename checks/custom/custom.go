// Package custom compiles the checks a team writes in CEL in .kubeharden.yaml (customChecks)
// into checks that run with the built-in ones: in scan, in the admission webhook, and exported
// as ValidatingAdmissionPolicy. Expressions see the variables a ValidatingAdmissionPolicy sees
// (object, oldObject, namespaceObject, params, request) and Kubernetes' CEL libraries, compiled
// by the API server's own environment, so that an expression means the same in every mode.
package custom

import (
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apiserver/pkg/cel/environment"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
)

// Error is a custom check that does not compile, located in the config file.
type Error struct {
	File    string
	Line    int
	ID      string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d: custom check %s: %s", e.File, e.Line, e.ID, e.Message)
}

var env = func() *cel.Env {
	vars := []cel.EnvOption{}
	for _, v := range []string{"object", "oldObject", "namespaceObject", "params", "request"} {
		vars = append(vars, cel.Variable(v, cel.DynType))
	}
	set, err := environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()).Extend(
		environment.VersionedOptions{IntroducedVersion: version.MajorMinor(1, 0), EnvOptions: vars})
	if err != nil {
		panic(err) // fixed declarations: only a programming error gets here
	}
	e, err := set.Env(environment.NewExpressions)
	if err != nil {
		panic(err)
	}
	return e
}()

// Compile turns the config's custom checks into checks. The first entry that does not compile
// is returned as an *Error with its file and line.
func Compile(cfg *config.Config) ([]*check.Check, error) {
	if cfg == nil {
		return nil, nil
	}
	var out []*check.Check
	for i := range cfg.CustomChecks {
		c, err := compile(&cfg.CustomChecks[i])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func compile(cc *config.CustomCheck) (*check.Check, error) {
	sev, err := check.ParseSeverity(cc.Severity)
	if err != nil {
		return nil, &Error{cc.File, cc.Line, cc.ID, err.Error()}
	}
	expr, err := program(cc.Expression, types.BoolType)
	if err != nil {
		return nil, &Error{cc.File, cc.ExpressionLine, cc.ID, "expression: " + err.Error()}
	}
	msgExpr := "'" + cc.ID + ": " + strings.ReplaceAll(cc.Title, "'", "\\'") + "'"
	var msg cel.Program
	if cc.Message != "" {
		if msg, err = program(cc.Message, types.StringType); err != nil {
			return nil, &Error{cc.File, cc.MessageLine, cc.ID, "message: " + err.Error()}
		}
		msgExpr = "'" + cc.ID + ": ' + (" + cc.Message + ")"
	}
	kinds := cc.Kinds
	c := &check.Check{
		ID:    cc.ID,
		Title: cc.Title,
		Doc: fmt.Sprintf("Custom check from %s:%d, written in CEL: %s", cc.File, cc.Line,
			strings.TrimSpace(cc.Expression)),
		Severity:    sev,
		Remediation: cc.Remediation,
		CEL: &check.CEL{Kinds: kinds, Validations: []check.Validation{{
			Expression: cc.Expression, MessageExpression: msgExpr,
		}}},
		Kinds: kinds,
		Reads: []string{"Namespace"},
		Scope: check.ScopeNamespace,
	}
	c.Run = func(p *check.Pass) {
		for _, o := range objectsOf(p.Inv, kinds) {
			obj, err := toMap(o)
			if err != nil {
				p.Reportf(o, "", "cannot evaluate: %v", err)
				continue
			}
			var nsObj any
			if ns := p.Inv.Namespace(o.EffectiveNamespace()); ns != nil && o.Kind != "Namespace" {
				if m, err := toMap(ns); err == nil {
					nsObj = m
				}
			}
			vars := map[string]any{"object": obj, "oldObject": nil, "namespaceObject": nsObj, "params": nil, "request": nil}
			ok, err := eval(expr, vars)
			if err != nil {
				// The API server rejects an object whose validation fails to evaluate
				// (failurePolicy Fail), so scan reports it too.
				p.Reportf(o, "", "%s (the expression failed: %v)", cc.Title, err)
				continue
			}
			if ok.(bool) {
				continue
			}
			text := cc.Title
			if msg != nil {
				if s, err := eval(msg, vars); err == nil {
					text = s.(string)
				}
			}
			p.Reportf(o, "", "%s", text)
		}
	}
	return c, nil
}

func program(src string, want *types.Type) (cel.Program, error) {
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if t := ast.OutputType(); t != types.DynType && !t.IsExactType(want) {
		return nil, fmt.Errorf("is of type %s, want %s", t, want)
	}
	return env.Program(ast, cel.CostLimit(1_000_000))
}

func eval(p cel.Program, vars map[string]any) (any, error) {
	v, _, err := p.Eval(vars)
	if err != nil {
		return nil, err
	}
	switch x := v.Value().(type) {
	case bool, string:
		return x, nil
	}
	return nil, fmt.Errorf("result is %s", v.Type())
}

// objectsOf returns the objects of the kinds (check.Workloads for every pod-carrying kind).
func objectsOf(inv *inventory.Inventory, kinds []string) []*inventory.Object {
	var out []*inventory.Object
	for _, k := range kinds {
		if k == check.Workloads {
			for _, w := range check.WorkloadKinds {
				out = append(out, inv.ByKind(w)...)
			}
			continue
		}
		out = append(out, inv.ByKind(k)...)
	}
	return out
}

// toMap is the object as the API server hands it to CEL: its JSON form.
func toMap(o *inventory.Object) (map[string]any, error) {
	if u, ok := o.Unstructured(); ok {
		return u.Object, nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Obj)
	if err != nil {
		return nil, err
	}
	m["apiVersion"], m["kind"] = o.APIVersion, o.Kind
	return m, nil
}
