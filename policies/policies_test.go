package policies_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/open-policy-agent/opa/v1/ast"
)

// TestRegoTests runs the library's Rego unit tests; this is how go test
// runs them.
func TestRegoTests(t *testing.T) {
	results, err := rules.RunTests(t.Context(), policies.FS)
	if err != nil {
		t.Fatalf("run Rego tests: %v", err)
	}
	if len(results) < 30 {
		t.Errorf("found %d Rego tests, want the whole suite (30 or more)", len(results))
	}
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			switch {
			case r.Skip:
				t.Skipf("%s:%d is marked todo", r.File, r.Row)
			case !r.Pass:
				t.Errorf("%s:%d: %s failed: %s\n%s", r.File, r.Row, r.Name, r.Fail, r.Output)
			}
		})
	}
}

// TestEveryScenarioHasTests: each scenario file has a _test.rego beside
// it, and that file tests break-glass principals.
func TestEveryScenarioHasTests(t *testing.T) {
	names, err := fs.Glob(policies.FS, "*.rego")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.rego") || name == "main.rego" {
			continue
		}
		testName := strings.TrimSuffix(name, ".rego") + "_test.rego"
		src, err := fs.ReadFile(policies.FS, testName)
		if err != nil {
			t.Errorf("%s has no tests: %v", name, err)
			continue
		}
		if !strings.Contains(string(src), "break_glass") {
			t.Errorf("%s does not test a break-glass principal", testName)
		}
	}
}

// TestPoliciesUseNoClockOrNetwork: a decision follows from its input, so
// the policies read input.now and never call out.
func TestPoliciesUseNoClockOrNetwork(t *testing.T) {
	forbidden := map[string]bool{"time.now_ns": true, "http.send": true,
		"net.lookup_ip_addr": true, "opa.runtime": true, "rand.intn": true,
		"uuid.rfc4122": true}
	names, err := fs.Glob(policies.FS, "*.rego")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		src, err := fs.ReadFile(policies.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ast.ParseModuleWithOpts(name, string(src),
			ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, call := range calls(m) {
			if forbidden[call.name] {
				t.Errorf("%s:%d calls %s", name, call.row, call.name)
			}
		}
	}
}

type call struct {
	name string
	row  int
}

// calls lists every function call in m, statements (x == f(y)) and
// nested terms (x := f(y)) alike.
func calls(m *ast.Module) []call {
	var out []call
	ast.WalkTerms(m, func(term *ast.Term) bool {
		if c, ok := term.Value.(ast.Call); ok {
			out = append(out, call{c[0].String(), term.Location.Row})
		}
		return false
	})
	ast.WalkExprs(m, func(e *ast.Expr) bool {
		if e.IsCall() {
			out = append(out, call{e.Operator().String(), e.Location.Row})
		}
		return false
	})
	return out
}
