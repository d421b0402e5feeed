package rules_test

import (
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

func TestGuardDataReachesTheDecision(t *testing.T) {
	ps, err := rules.Load(t.Context(), mapFS(map[string]string{
		"main.rego": thresholdPolicy,
		"data.json": `{"killswitch": {"break_glass": {"principals": ["root"]},
			"budgets": [{"name": "sa", "limit": 20, "window": "1h",
			"kind": "revoke_credential", "principal_kind": "service_account"}]}}`}))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	d, err := ps.Evaluate(t.Context(), contractInput)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Budget{Name: "sa", Limit: 20, Window: time.Hour,
		Kind: "revoke_credential", PrincipalKind: store.KindServiceAccount}
	if len(d.Guard.BreakGlass) != 1 || d.Guard.BreakGlass[0] != "root" ||
		len(d.Guard.Budgets) != 1 || d.Guard.Budgets[0] != want {
		t.Fatalf("guard data %+v, want root break-glass and %+v", d.Guard, want)
	}
}

func TestLoadRejectsBadGuardData(t *testing.T) {
	tests := []struct{ name, data, message string }{
		{"Break-glass principals that are not a list",
			`{"killswitch": {"break_glass": {"principals": "root"}}}`,
			"data.killswitch.break_glass.principals: want an array of " +
				"principal ids, got string"},
		{"Budgets that are not a list", `{"killswitch": {"budgets": {}}}`,
			"data.killswitch.budgets: want an array of budgets, got object"},
		{"A budget without a window", `{"killswitch": {"budgets": [
			{"name": "b", "limit": 1}]}}`,
			`data.killswitch.budgets[0].window: want a positive Go duration ("1h"), got ""`},
		{"A budget without a limit", `{"killswitch": {"budgets": [
			{"name": "b", "window": "1h"}]}}`,
			"data.killswitch.budgets[0].limit: want a number of 0 or more"},
		{"A budget of an unknown kind", `{"killswitch": {"budgets": [
			{"name": "b", "limit": 1, "window": "1h", "kind": "nuke"}]}}`,
			`data.killswitch.budgets[0].kind: unknown action kind "nuke"`},
		{"A budget with an unknown key", `{"killswitch": {"budgets": [
			{"name": "b", "limit": 1, "window": "1h", "per": "day"}]}}`,
			`data.killswitch.budgets[0]: json: unknown field "per"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rules.Load(t.Context(), mapFS(map[string]string{
				"main.rego": thresholdPolicy, "data.json": tt.data}))
			assertPolicyError(t, err, rules.CodeCompile, "data.json", 0, tt.message)
		})
	}
}
