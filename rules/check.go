package rules

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The levels of a Finding.
const (
	LevelError   = "error"
	LevelWarning = "warning"
)

// Finding is one problem Check found.
type Finding struct {
	// Level is LevelError (the set must not be deployed) or
	// LevelWarning.
	Level string `json:"level"`
	// Code is the PolicyError code, or "lint".
	Code    string `json:"code"`
	File    string `json:"file,omitempty"`
	Row     int    `json:"row,omitempty"`
	Message string `json:"message"`
}

// String reads like "main.rego:12: error: ...".
func (f Finding) String() string {
	where := f.File
	if f.Row > 0 {
		where = fmt.Sprintf("%s:%d", f.File, f.Row)
	}
	if where == "" {
		return f.Level + ": " + f.Message
	}
	return where + ": " + f.Level + ": " + f.Message
}

// Check compiles a policy set as Load does (strict mode, type-checked
// against the input schema, without http.send, net.lookup_ip_addr and
// opa.runtime) and its tests as RunTests does, then lints it: OPA's
// regal linter is not available as a Go module here, so the lints are
// killswitch's own. Problems are findings, not an error; the error is
// for a directory that cannot be read.
func Check(ctx context.Context, fsys fs.FS) ([]Finding, error) {
	files, err := readPolicyFiles(fsys)
	if err != nil {
		return nil, fmt.Errorf("check policies: %w", err)
	}
	ps, err := build(ctx, evaluationFiles(files), loadConfig{})
	if err != nil {
		return findings(err), nil
	}
	regoFiles, _ := splitFiles(files)
	if _, err := compileFiles(regoFiles, true); err != nil {
		return findings(err), nil
	}
	return lint(ps, files), nil
}

// findings lists every PolicyError joined in err.
func findings(err error) []Finding {
	var out []Finding
	var walk func(error)
	walk = func(err error) {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				walk(e)
			}
			return
		}
		var pe *PolicyError
		if errors.As(err, &pe) {
			out = append(out, Finding{Level: LevelError, Code: pe.Code,
				File: pe.File, Row: pe.Row, Message: pe.Message})
			return
		}
		out = append(out, Finding{Level: LevelError, Code: CodeCompile,
			Message: err.Error()})
	}
	walk(err)
	return out
}

func lint(ps *PolicySet, files []policyFile) []Finding {
	var out []Finding
	out = append(out, lintDefault(ps, DecisionQuery)...)
	out = append(out, lintDefault(ps, SweepQuery)...)
	out = append(out, lintModes(ps)...)
	if !slices.ContainsFunc(files, func(f policyFile) bool {
		return isTestFile(f.name)
	}) {
		out = append(out, Finding{Level: LevelWarning, Code: "lint",
			Message: "no _test.rego files: the policies have no unit tests"})
	}
	return out
}

// lintDefault: a decision without a default is undefined for an input no
// rule matches, and every such alert is dead-lettered.
func lintDefault(ps *PolicySet, query string) []Finding {
	ref := ast.MustParseRef(query)
	var rules []*ast.Rule
	for _, m := range ps.modules {
		for _, r := range m.Rules {
			if m.Package.Path.Extend(r.Head.Ref()).Equal(ref) {
				rules = append(rules, r)
			}
		}
	}
	if len(rules) == 0 || slices.ContainsFunc(rules, func(r *ast.Rule) bool {
		return r.Default
	}) {
		return nil
	}
	first := rules[0]
	return []Finding{{Level: LevelError, Code: "lint", File: first.Location.File,
		Row: first.Location.Row, Message: query + " has no default: an " +
			"alert no rule matches would be dead-lettered " +
			`(add: default decision := {"actions": []})`}}
}

// lintModes: a mode for a rule no policy names is a typo that leaves the
// rule it meant in force.
func lintModes(ps *PolicySet) []Finding {
	named := ruleNames(ps.modules)
	var out []Finding
	for _, rule := range slices.Sorted(maps.Keys(ps.modes)) {
		if named[rule] {
			continue
		}
		out = append(out, Finding{Level: LevelWarning, Code: "lint",
			Message: fmt.Sprintf("data.killswitch.modes.%s: no policy "+
				"gives an action the rule %q; the mode has no effect", rule, rule)})
	}
	return out
}

// ruleNames collects the strings the policies put under the key "rule"
// of an object: the names actions carry.
func ruleNames(modules map[string]*ast.Module) map[string]bool {
	names := map[string]bool{}
	for _, m := range modules {
		ast.WalkTerms(m, func(t *ast.Term) bool {
			obj, ok := t.Value.(ast.Object)
			if !ok {
				return false
			}
			if v := obj.Get(ast.StringTerm("rule")); v != nil {
				if s, ok := v.Value.(ast.String); ok {
					names[string(s)] = true
				}
			}
			return false
		})
	}
	return names
}
