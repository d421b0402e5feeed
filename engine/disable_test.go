package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// recorder is a connector that answers with a fixed outcome and counts
// the operations it was asked for.
type recorder struct {
	provider string
	outcome  connectors.Outcome
	mu       sync.Mutex
	ops      map[connectors.Op]int
}

func (r *recorder) Provider() string { return r.provider }

func (r *recorder) Revoke(_ context.Context, req connectors.Request) connectors.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ops == nil {
		r.ops = map[connectors.Op]int{}
	}
	r.ops[req.Op]++
	res := connectors.Result{Outcome: r.outcome}
	if r.outcome == connectors.Retryable || r.outcome == connectors.Permanent {
		res.Err = errors.New("provider says no")
	}
	return res
}

func TestDisablePrincipalReachesItsProviders(t *testing.T) {
	cases := []struct {
		name       string
		outcome    connectors.Outcome
		wantState  string
		wantStatus string
	}{
		{"a provider that disables it", connectors.Done, store.ActionDone, "disabled"},
		{"a provider that cannot disable is noted", connectors.Unsupported,
			store.ActionDone, "disabled"},
		{"a provider that is down leaves it for a retry", connectors.Retryable,
			store.ActionPending, "active"},
		{"a provider that refuses fails the action", connectors.Permanent,
			store.ActionFailed, "active"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := demoStore(t)
			okta := &recorder{provider: "okta", outcome: c.outcome}
			conns, _ := connectors.NewSet(okta)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			x := NewExecutor(st, conns, nil, ExecutorConfig{}, time.Now, log)
			act := enqueue(t, st, "disable_principal", "principal", "erin")
			if _, err := x.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if okta.ops[connectors.OpDisablePrincipal] != 1 {
				t.Fatalf("okta was asked to disable %d times, want 1",
					okta.ops[connectors.OpDisablePrincipal])
			}
			got, _ := st.GetAction(context.Background(), act)
			p, _ := st.GetPrincipal(context.Background(), "erin")
			if got.State != c.wantState || p.Status != c.wantStatus {
				t.Fatalf("action %s (%s), principal %s; want %s, %s",
					got.State, got.LastError, p.Status, c.wantState, c.wantStatus)
			}
		})
	}
}

// enqueue puts one pending action in the outbox and returns its id.
func enqueue(t *testing.T, st store.Store, kind, typ, target string) string {
	t.Helper()
	now := time.Now()
	a := store.Action{ID: "act_test", IdempotencyKey: "test|" + kind + "|" + target,
		SignalID: "sig_test", Kind: kind, TargetType: typ, TargetID: target,
		Reason: "test", Policy: "test", State: store.ActionPending,
		CreatedAt: now, UpdatedAt: now}
	rec := store.SignalRecord{ID: "sig_test", DedupKey: "test:1", Format: "test",
		Category: "test", Severity: "info", Time: now, ReceivedAt: now,
		Signal: []byte(`{}`)}
	if _, err := st.RecordSignal(context.Background(), rec,
		[]store.Action{a}, nil); err != nil {
		t.Fatal(err)
	}
	return a.ID
}
