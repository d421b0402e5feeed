package rules_test

import (
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/rules"
)

const testFile = `package killswitch.response_test

import data.killswitch.response

test_passes if response.decision.actions == []

test_fails if {
	d := response.decision
	count(d.actions) == 1
}

test_errors if to_number("x") == 1

todo_test_later if false

test_prints if {
	print("hello from a test")
}
`

func TestRunTests(t *testing.T) {
	results, err := rules.RunTests(t.Context(), mapFS(map[string]string{
		"main.rego":            header + `decision := {"actions": []}`,
		"tests/main_test.rego": testFile,
	}))
	if err != nil {
		t.Fatalf("RunTests: %v", err)
	}
	want := []rules.TestResult{
		{Name: "test_passes", Row: 5, Pass: true},
		{Name: "test_fails", Row: 7,
			Fail: "tests/main_test.rego:9: count(d.actions) == 1"},
		{Name: "test_errors", Row: 12, Fail: "error: tests/main_test.rego:12: " +
			"eval_builtin_error: to_number: strconv.ParseFloat: parsing \"x\": invalid syntax"},
		{Name: "todo_test_later", Row: 14, Skip: true},
		{Name: "test_prints", Row: 16, Pass: true,
			Output: "hello from a test\n"},
	}
	if len(results) != len(want) {
		t.Fatalf("got %d results, want %d: %+v", len(results), len(want), results)
	}
	for i, w := range want {
		got := results[i]
		w.Package, w.File = "killswitch.response_test", "tests/main_test.rego"
		w.Duration = got.Duration
		if got != w {
			t.Errorf("result %d =\n  %+v\nwant\n  %+v", i, got, w)
		}
	}
}

func TestRunTestsReportsCompileErrors(t *testing.T) {
	_, err := rules.RunTests(t.Context(), mapFS(map[string]string{
		"main.rego":      header + `decision := {"actions": []}`,
		"main_test.rego": "package killswitch.response_test\n\ntest_x if http.send({})",
	}))
	assertPolicyError(t, err, rules.CodeCompile, "main_test.rego", 3,
		"rego_type_error: undefined function http.send "+
			"(not available in killswitch: policies may not make network calls)")
	if !strings.HasPrefix(err.Error(), "run policy tests: ") {
		t.Errorf("error %q does not name the operation", err)
	}
}
