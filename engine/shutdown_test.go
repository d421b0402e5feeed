package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// stopWithin cancels the engine and returns what Run returned, failing
// the test when Run outlives limit: a hang, not a speed check.
func (r *rig) stopWithin(limit time.Duration) error {
	r.t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		return err
	case <-time.After(limit):
		r.t.Fatalf("the engine still runs %s after it was asked to stop", limit)
		return nil
	}
}

// An action whose provider never answers is cut off at the end of the
// shutdown grace, far inside its lease, and handed back to the outbox:
// the next start takes it up at once and finishes it.
func TestAnActionThatOutlastsTheShutdownGraceIsHandedBack(t *testing.T) {
	conn := newFlakyConnector(0, connectors.Retryable)
	conn.hang = true
	r := newRig(t, "../testdata/inventory.yaml", nil)
	r.conns = connectors.Set{conn.Provider(): conn}
	// The lease is longer than the test may wait, so only the grace can
	// end the hanging call in time.
	r.exec = ExecutorConfig{Lease: time.Hour, ShutdownGrace: 200 * time.Millisecond}
	r.svc = r.service(shippedPolicies(t))
	r.start()
	r.send([2][]byte{[]byte("erin"), readFile(t, erinAlert)})
	r.waitFor("the provider called", func() bool {
		calls, _ := conn.counts()
		return len(calls) > 0
	})

	err := r.stopWithin(20 * time.Second)
	var cut *AbandonedError
	if !errors.As(err, &cut) || cut.Actions != 1 {
		t.Fatalf("Run returned %v, want an AbandonedError of 1 action", err)
	}
	acts, err := r.store.ListActions(context.Background(),
		store.ActionFilter{State: store.ActionRunning})
	if err != nil || len(acts) != 0 {
		t.Fatalf("%d actions still leased after the stop (%v), want none", len(acts), err)
	}

	conn.mu.Lock()
	conn.hang = false // the provider is back
	conn.mu.Unlock()
	r.svc = r.service(shippedPolicies(t))
	r.start()
	r.waitFor("the handed-back action done", func() bool { return r.settled(1) })
	r.stop()
	_, done := conn.counts()
	for _, target := range []string{"principal:erin", "session:erin-okta-web",
		"credential:erin-password"} {
		if done[target] != 1 {
			t.Errorf("%s changed %d times at the provider, want 1", target, done[target])
		}
	}
	assertSessionStatus(t, r.store, "erin-okta-web", store.StatusRevoked)
}

// stuckEvaluator stands for a policy evaluation that ignores its
// context: it waits for gate whatever happens.
type stuckEvaluator struct {
	Evaluator
	entered chan struct{}
	once    sync.Once
	gate    chan struct{}
}

func (e *stuckEvaluator) Evaluate(ctx context.Context, in rules.Input) (rules.Decision, error) {
	e.once.Do(func() { close(e.entered) })
	<-e.gate
	return e.Evaluator.Evaluate(ctx, in)
}

// A message whose processing outlasts the shutdown grace, even one stuck
// where no context reaches, does not keep the engine from stopping; it
// is not committed, and the next start processes it.
func TestAMessageStuckPastTheShutdownGraceIsDeliveredAgain(t *testing.T) {
	ev := &stuckEvaluator{Evaluator: shippedPolicies(t),
		entered: make(chan struct{}), gate: make(chan struct{})}
	r := newRig(t, "../testdata/inventory.yaml", ev)
	defer close(ev.gate)
	r.cons = ConsumerConfig{ShutdownGrace: 200 * time.Millisecond}
	r.svc = r.service(ev)
	r.start()
	r.send([2][]byte{[]byte("erin"), readFile(t, erinAlert)})
	<-ev.entered

	err := r.stopWithin(20 * time.Second)
	var cut *AbandonedError
	if !errors.As(err, &cut) || cut.Messages != 1 {
		t.Fatalf("Run returned %v, want an AbandonedError of 1 message", err)
	}
	if got := sumOffsets(r.committed(DefaultAlertsTopic)); got != 0 {
		t.Fatalf("%d messages committed, want none", got)
	}

	r.svc = r.service(shippedPolicies(t))
	r.start()
	r.waitFor("the message processed after the restart",
		func() bool { return r.settled(1) })
	r.stop()
	assertSessionStatus(t, r.store, "erin-okta-web", store.StatusRevoked)
}
