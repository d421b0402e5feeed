package rules_test

import (
	"fmt"
	"testing"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// benchInput is one service account with 20 live sessions and 5
// credentials, the first named by the signal.
func benchInput(category signals.Category) rules.Input {
	in := scenarioInput(category, signals.SeverityCritical,
		principal("bot", store.KindServiceAccount, false))
	in.Sessions = make([]store.Session, 20)
	for i := range in.Sessions {
		in.Sessions[i] = session(fmt.Sprintf("s-%d", i), "bot", fmt.Sprintf("bot-c%d", i%5))
	}
	in.Credentials = credentials("bot", 5)
	return in
}

func BenchmarkEvaluate(b *testing.B) {
	ps := loadShipped(b)
	for _, bc := range []struct {
		name     string
		category signals.Category
		actions  int
	}{
		{"threat_3_actions", signals.CategoryThreat, 3},
		{"secret_exposure_2_actions", signals.CategorySecretExposure, 2},
		{"no_action", signals.CategoryAuthentication, 0},
	} {
		in := benchInput(bc.category)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, err := ps.Evaluate(b.Context(), in)
				if err != nil || len(d.Actions) != bc.actions {
					b.Fatalf("Evaluate = %d actions, %v; want %d", len(d.Actions), err, bc.actions)
				}
			}
		})
	}
}
