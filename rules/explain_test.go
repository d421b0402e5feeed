package rules_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

func TestExplainNamesTheRulesThatFired(t *testing.T) {
	ps := loadShipped(t)
	in := scenarioInput(signals.CategoryThreat, signals.SeverityCritical,
		principal("alice", store.KindHuman, false))
	want, err := ps.Evaluate(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	d, fired, err := ps.Explain(t.Context(), in)
	if err != nil || !slices.Equal(d.Actions, want.Actions) {
		t.Fatalf("Explain = %+v, %v; want the decision Evaluate gives", d.Actions, err)
	}
	var names []string
	for _, f := range fired {
		names = append(names, f.Rule)
		if f.File == "" || f.Row == 0 || f.Head == "" || strings.HasSuffix(f.File, "_test.rego") {
			t.Errorf("fired rule %+v lacks a place in a policy file", f)
		}
	}
	for _, rule := range []string{"data.killswitch.response.threat",
		"data.killswitch.response.threat_severe",
		"data.killswitch.response.candidate_actions",
		"data.killswitch.response.decision"} {
		if !slices.Contains(names, rule) {
			t.Errorf("fired rules %v do not include %s", names, rule)
		}
	}
	for _, f := range fired {
		if f.Rule == "data.killswitch.response.secret_exposure" {
			t.Errorf("secret_exposure fired on a threat: %+v", f)
		}
		if f.Rule == "data.killswitch.response.threat_severe" &&
			!slices.ContainsFunc(f.Because, func(s string) bool {
				return strings.Contains(s, "threat_revoke_severity")
			}) {
			t.Errorf("threat_severe fired because %v; want its threshold condition", f.Because)
		}
	}
}
