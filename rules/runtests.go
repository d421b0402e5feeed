package rules

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// TestResult is the outcome of one Rego test rule.
type TestResult struct {
	// Name is the test rule's name ("test_revokes_exposed_credential").
	Name string
	// Package is the Rego package, without "data." ("killswitch.response_test").
	Package string
	// File and Row locate the test rule.
	File string
	Row  int
	// Pass is true when the test rule evaluated to true.
	Pass bool
	// Skip is true for a todo_test_ rule, which is not run.
	Skip bool
	// Fail says why a test that did not pass failed: the expression that
	// was false and where ("secret_exposure_test.rego:40: count(...) == 2"),
	// or the evaluation error. Empty when it passed or was skipped.
	Fail string
	// Output is what the test printed with print().
	Output string
	// Duration is how long the test took.
	Duration time.Duration
}

// TestOption changes how RunTests runs.
type TestOption func(*tester.Runner)

// WithCoverage records the policy lines the tests run in c.
func WithCoverage(c *Coverage) TestOption {
	return func(r *tester.Runner) { r.SetCoverageQueryTracer(c.cover) }
}

// RunTests compiles every .rego file under fsys, tests included, as Load
// does (strict, same built-ins, the same data documents), and runs the
// test_ rules with OPA's tester. The results are ordered by file and
// line. A policy that does not compile is a *PolicyError; failing tests
// are results, not an error.
func RunTests(ctx context.Context, fsys fs.FS, opts ...TestOption) ([]TestResult, error) {
	files, err := readPolicyFiles(fsys)
	if err != nil {
		return nil, fmt.Errorf("run policy tests: %w", err)
	}
	regoFiles, dataFiles := splitFiles(files)
	data, err := buildData(dataFiles)
	if err != nil {
		return nil, fmt.Errorf("run policy tests: %w", err)
	}
	modules, err := parseModules(regoFiles)
	if err != nil {
		return nil, fmt.Errorf("run policy tests: %w", err)
	}
	runner := tester.NewRunner().
		SetCompiler(newCompiler(true)).
		SetStore(inmem.NewFromObjectWithOpts(data, inmem.OptReturnASTValuesOnRead(true))).
		SetModules(modules).
		CapturePrintOutput(true).
		EnableTracing(true).
		RaiseBuiltinErrors(true)
	for _, opt := range opts {
		opt(runner)
	}
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("run policy tests: %w", compileError(err))
	}
	return collectResults(ctx, ch)
}

func collectResults(ctx context.Context, ch <-chan *tester.Result) ([]TestResult, error) {
	var results []TestResult
	for r := range ch {
		results = append(results, testResult(r))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("run policy tests: %w", err)
	}
	slices.SortFunc(results, func(a, b TestResult) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Row, b.Row))
	})
	return results, nil
}

func testResult(r *tester.Result) TestResult {
	tr := TestResult{
		Name:     r.Name,
		Package:  strings.TrimPrefix(r.Package, "data."),
		Pass:     r.Pass(),
		Skip:     r.Skip,
		Output:   string(r.Output),
		Duration: r.Duration,
	}
	if r.Location != nil {
		tr.File, tr.Row = r.Location.File, r.Location.Row
	}
	switch {
	case r.Error != nil:
		tr.Fail = "error: " + r.Error.Error()
	case r.Fail:
		tr.Fail = failedAt(r.Location, r.Trace)
	}
	return tr
}

// failedAt finds, in a failed test's trace, the last expression that was
// false inside the test rule itself (test is where the rule is); failing
// that, the last false expression anywhere, as OPA's reporter does.
func failedAt(test *ast.Location, trace []*topdown.Event) string {
	var last *ast.Location
	for _, e := range slices.Backward(trace) {
		if !isFailedExpr(e) {
			continue
		}
		if within(e.Location, test) {
			return describeFailure(e.Location)
		}
		if last == nil {
			last = e.Location
		}
	}
	if last == nil {
		return "test was false or undefined"
	}
	return describeFailure(last)
}

func isFailedExpr(e *topdown.Event) bool {
	if e.Op != topdown.FailOp || e.Location == nil || e.QueryID == 0 {
		return false
	}
	expr, ok := e.Node.(*ast.Expr)
	if !ok {
		return true
	}
	_, every := expr.Terms.(*ast.Every)
	return !every
}

// within reports whether loc lies in the source text of the rule at rule.
func within(loc, rule *ast.Location) bool {
	if rule == nil || loc.File != rule.File || loc.Row < rule.Row {
		return false
	}
	return loc.Row <= rule.Row+bytes.Count(rule.Text, []byte("\n"))
}

func describeFailure(loc *ast.Location) string {
	return fmt.Sprintf("%s:%d: %s", loc.File, loc.Row, loc.Text)
}
