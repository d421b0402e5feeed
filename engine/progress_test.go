package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// pacedConnector stands for a provider that takes a while to answer each
// call, as Okta does under load: it counts the calls about each session.
type pacedConnector struct {
	delay time.Duration
	mu    sync.Mutex
	calls map[string]int
}

func (c *pacedConnector) Provider() string { return "okta" }

func (c *pacedConnector) Revoke(ctx context.Context,
	req connectors.Request) connectors.Result {
	select {
	case <-ctx.Done():
		return connectors.Result{Outcome: connectors.Retryable, Err: ctx.Err()}
	case <-time.After(c.delay):
	}
	c.mu.Lock()
	c.calls[requestTarget(req)]++
	c.mu.Unlock()
	return connectors.Result{Outcome: connectors.Done}
}

// manySessions adds n live okta sessions of alice to st and returns
// their ids.
func manySessions(t *testing.T, st store.Store, n int) []string {
	t.Helper()
	now := time.Now()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("alice-okta-%03d", i)
		err := st.PutSession(t.Context(), store.Session{ID: ids[i],
			PrincipalID: "alice", Provider: "okta", Kind: "browser",
			ExternalID: "ext-" + ids[i], CreatedAt: now.Add(-time.Hour),
			Status: store.StatusActive})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// An action covering more sessions than its provider can revoke within
// one lease keeps what each attempt did: the registry learns of every
// session the provider revoked, and the next attempt calls it only for
// the rest. The registry was written once, after every call, under the
// lease's deadline: an attempt that ran out of time lost all it had done,
// so the action was retried from the start for a day and never revoked a
// session in the registry, while the provider had revoked them all.
func TestAnActionLongerThanItsLeaseKeepsWhatEachAttemptDid(t *testing.T) {
	st := demoStore(t)
	ids := manySessions(t, st, 60)
	conn := &pacedConnector{delay: 20 * time.Millisecond, calls: map[string]int{}}
	x := NewExecutor(st, connectors.Set{"okta": conn}, nil,
		ExecutorConfig{Lease: 500 * time.Millisecond,
			Backoff: time.Millisecond}, time.Now, slog.New(slog.DiscardHandler))
	acts, err := x.Revoke(t.Context(), st, ManualRequest{Operator: "kim",
		Reason: "INC-9", SessionIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, err := st.GetAction(t.Context(), acts[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.State == store.ActionDone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("action still %s after %d attempts: %s", a.State,
				a.Attempts, a.LastError)
		}
		time.Sleep(5 * time.Millisecond)
		if _, err := x.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		assertSessionStatus(t, st, id, store.StatusRevoked)
	}
	conn.mu.Lock()
	defer conn.mu.Unlock()
	for _, id := range ids {
		if n := conn.calls["session:"+id]; n != 1 {
			t.Errorf("session %s: the provider revoked it %d times, want 1",
				id, n)
		}
	}
	assertAuditCount(t, st, EventSessionRevoked, len(ids))
}

// An operator's revocation being executed when the engine is asked to
// stop gets the shutdown grace, as the outbox's actions do, and is then
// handed back to the outbox: the caller is answered with it pending, and
// Run returns only after. It went on for as long as its lease allowed
// while Run returned at once, so the process exited under it: the
// operator's request was never answered and the action waited, running,
// for its lease to lapse after the restart.
func TestAnOperatorsRevocationInFlightIsHandedBackAtShutdown(t *testing.T) {
	st := demoStore(t)
	conn := newFlakyConnector(0, connectors.Retryable)
	conn.hang = true
	x := NewExecutor(st, connectors.Set{"okta": conn}, nil,
		ExecutorConfig{ShutdownGrace: 200 * time.Millisecond},
		time.Now, slog.New(slog.DiscardHandler))
	ctx, stop := context.WithCancel(t.Context())
	ran := make(chan time.Time, 1)
	go func() {
		x.Run(ctx)
		ran <- time.Now()
	}()
	time.Sleep(50 * time.Millisecond) // Run is working the outbox
	type answer struct {
		acts []store.Action
		err  error
		at   time.Time
	}
	answered := make(chan answer, 1)
	go func() {
		acts, err := x.Revoke(t.Context(), st, ManualRequest{
			Operator: "kim", Reason: "INC-10", SessionID: "alice-okta-laptop"})
		answered <- answer{acts, err, time.Now()}
	}()
	time.Sleep(100 * time.Millisecond) // the provider is being called
	stop()
	var a answer
	select {
	case a = <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("the revocation went on 10s after the shutdown grace")
	}
	if a.err != nil || len(a.acts) != 1 || a.acts[0].State != store.ActionPending {
		t.Fatalf("answer %+v, %v; want the action handed back, pending",
			a.acts, a.err)
	}
	if at := <-ran; at.Before(a.at) {
		t.Errorf("Run returned %s before the revocation was answered",
			a.at.Sub(at))
	}
}
