package rules_test

import (
	"slices"
	"testing"

	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
)

func TestCheckPassesTheShippedLibrary(t *testing.T) {
	found, err := rules.Check(t.Context(), policies.FS)
	if err != nil || len(found) != 0 {
		t.Fatalf("Check(shipped) = %v, %v; want nothing", found, err)
	}
}

func TestCheckFindings(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"A decision without a default",
			map[string]string{"main.rego": header +
				"decision := {\"actions\": []} if input.signal.type == \"x\"",
				"main_test.rego": header + "test_x if true"},
			[]string{"main.rego:3: error: data.killswitch.response.decision has no " +
				"default: an alert no rule matches would be dead-lettered " +
				`(add: default decision := {"actions": []})`}},
		{"A denied built-in",
			map[string]string{"main.rego": header +
				"default decision := {\"actions\": []}\n\nx := http.send({})\n"},
			[]string{"main.rego:5: error: rego_type_error: undefined function " +
				"http.send (not available in killswitch: policies may not make " +
				"network calls)"}},
		{"A comparison the input schema rules out",
			map[string]string{"main.rego": header +
				"default decision := {\"actions\": []}\n\ny if input.signal.severity == 3\n"},
			[]string{"main.rego:5: error: rego_type_error: match error " +
				"(string against number)"}},
		{"A mode for a rule nobody names, and no tests",
			map[string]string{"main.rego": header +
				"default decision := {\"actions\": []}",
				"data.json": `{"killswitch": {"modes": {"max_age": "monitor"}}}`},
			[]string{
				`warning: data.killswitch.modes.max_age: no policy gives an action ` +
					`the rule "max_age"; the mode has no effect`,
				"warning: no _test.rego files: the policies have no unit tests"}},
		{"A test file that does not compile",
			map[string]string{"main.rego": header + "default decision := {\"actions\": []}",
				"main_test.rego": header + "test_x if nonesuch(1)"},
			[]string{"main_test.rego:3: error: rego_type_error: undefined function nonesuch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, err := rules.Check(t.Context(), mapFS(tt.files))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range found {
				got = append(got, f.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings =\n  %q\nwant\n  %q", got, tt.want)
			}
		})
	}
}
