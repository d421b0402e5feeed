package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The codes of a PolicyError. They are stable: the engine records them
// with a dead-lettered signal, and metrics and the API use them as labels.
const (
	// CodeCompile: a policy file does not parse or compile, or the set
	// defines no decision.
	CodeCompile = "policy_compile_error"
	// CodeUndefined: the decision is undefined for this input.
	CodeUndefined = "decision_undefined"
	// CodeInvalid: the decision breaks the decision contract.
	CodeInvalid = "decision_invalid"
	// CodeEval: evaluation failed (conflicting outputs, a built-in
	// function error).
	CodeEval = "policy_eval_error"
)

// PolicyError is a fault of the policy set, not of killswitch: it names
// the policy file and line to fix. A signal whose evaluation fails with one
// is dead-lettered and never acted on.
type PolicyError struct {
	// Code is one of the Code* constants.
	Code string
	// File is the policy file, relative to the root the set was loaded
	// from; empty when no file is to blame.
	File string
	// Row is the 1-based line in File, 0 when unknown.
	Row int
	// Message says what is wrong, naming the field of the decision for a
	// contract violation ("actions[1].kind: ...").
	Message string
}

// Error reads "policy main.rego:12: decision_invalid: actions[1].kind: ...".
func (e *PolicyError) Error() string {
	where := e.File
	if where != "" && e.Row > 0 {
		where = fmt.Sprintf("%s:%d", where, e.Row)
	}
	if where == "" {
		return fmt.Sprintf("policy: %s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("policy %s: %s: %s", where, e.Code, e.Message)
}

// IsPolicyError reports whether err is, or wraps, a *PolicyError.
func IsPolicyError(err error) bool {
	var pe *PolicyError
	return errors.As(err, &pe)
}

// compileError turns the parser's or compiler's errors into one error per
// problem, ordered by file and line, joined. errors.As finds the first.
func compileError(err error) error {
	astErrs, ok := asASTErrors(err)
	if !ok {
		return &PolicyError{Code: CodeCompile, Message: err.Error()}
	}
	errs := make([]error, 0, len(astErrs))
	for _, e := range sortedASTErrors(astErrs) {
		errs = append(errs, fromASTError(e))
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// asASTErrors finds the parser's or compiler's errors in err, which holds
// either a list of them or a single one.
func asASTErrors(err error) (ast.Errors, bool) {
	var list ast.Errors
	if errors.As(err, &list) {
		return list, true
	}
	var one *ast.Error
	if errors.As(err, &one) {
		return ast.Errors{one}, true
	}
	return nil, false
}

func sortedASTErrors(errs ast.Errors) ast.Errors {
	sorted := slices.Clone(errs)
	slices.SortStableFunc(sorted, func(a, b *ast.Error) int {
		af, ar := astErrorPlace(a)
		bf, br := astErrorPlace(b)
		return cmp.Or(strings.Compare(af, bf), cmp.Compare(ar, br))
	})
	return sorted
}

func astErrorPlace(e *ast.Error) (string, int) {
	if e.Location == nil {
		return "", 0
	}
	return e.Location.File, e.Location.Row
}

func fromASTError(e *ast.Error) *PolicyError {
	file, row := astErrorPlace(e)
	return &PolicyError{
		Code:    CodeCompile,
		File:    file,
		Row:     row,
		Message: e.Code + ": " + explainDenied(e.Message) + detail(e),
	}
}

// detail adds what the type checker knows to its one-line message: the
// keys an object has, the types that did not match.
func detail(e *ast.Error) string {
	switch d := e.Details.(type) {
	case *ast.RefErrInvalidDetail:
		if len(d.OneOf) == 0 {
			return ""
		}
		keys := make([]string, len(d.OneOf))
		for i, v := range d.OneOf {
			keys[i] = strings.Trim(v.String(), `"`)
		}
		return " (want one of " + strings.Join(keys, ", ") + ")"
	case *ast.UnificationErrDetail:
		return fmt.Sprintf(" (%s against %s)", d.Left, d.Right)
	case *ast.ArgErrDetail:
		return " (" + strings.Join(d.Lines(), "; ") + ")"
	}
	return ""
}
