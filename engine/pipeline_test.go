package engine

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// reloadingEvaluator answers with one revision while reporting another as
// in force, as a policy reload between the two calls would.
type reloadingEvaluator struct{}

func (reloadingEvaluator) Evaluate(context.Context, rules.Input) (rules.Decision, error) {
	return rules.Decision{Actions: []rules.Action{}, Revision: "sha256:old"}, nil
}

func (reloadingEvaluator) Revision() string { return "sha256:new" }

func TestDecisionRecordsTheRevisionThatMadeIt(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := NewPipeline(st, reloadingEvaluator{}, Guardrails{}, time.Now, log)
	out, err := p.Process(ctx, readFile(t, "../testdata/alerts/08-okta-session-start-alice.json"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.GetSignal(ctx, out.SignalID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.PolicyRevision != "sha256:old" {
		t.Fatalf("recorded revision %q, want the one that decided, sha256:old",
			rec.PolicyRevision)
	}
}
