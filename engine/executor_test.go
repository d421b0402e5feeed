package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

const erinAlert = "../testdata/alerts/06-risc-account-disabled-erin.json"

// flakyConnector stands for a provider that is down: it answers the first
// failures calls about each target with outcome, and Done after that. It
// counts every call, and the calls that made the change.
type flakyConnector struct {
	failures int
	outcome  connectors.Outcome
	mu       sync.Mutex
	// hang, when set, makes the first call about each target wait for its
	// context to end, as a provider that never answers does.
	hang      bool
	calls     map[string]int
	done      map[string]int
	deadlines []bool
}

func newFlakyConnector(failures int, outcome connectors.Outcome) *flakyConnector {
	return &flakyConnector{failures: failures, outcome: outcome,
		calls: map[string]int{}, done: map[string]int{}}
}

func (c *flakyConnector) Provider() string { return "okta" }

func (c *flakyConnector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	target := requestTarget(req)
	c.mu.Lock()
	c.calls[target]++
	n := c.calls[target]
	_, hasDeadline := ctx.Deadline()
	c.deadlines = append(c.deadlines, hasDeadline)
	hang := c.hang
	c.mu.Unlock()
	if hang && n == 1 {
		<-ctx.Done()
		return connectors.Result{Outcome: connectors.Retryable, Err: ctx.Err()}
	}
	if n <= c.failures {
		return connectors.Result{Outcome: c.outcome,
			Err: errors.New("okta answered 503 (maintenance window)")}
	}
	c.mu.Lock()
	c.done[target]++
	c.mu.Unlock()
	return connectors.Result{Outcome: connectors.Done}
}

func requestTarget(req connectors.Request) string {
	switch {
	case req.Session != nil:
		return "session:" + req.Session.ID
	case req.Credential != nil:
		return "credential:" + req.Credential.ID
	}
	return "principal:" + req.Principal.ID
}

func (c *flakyConnector) counts() (calls, done map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls, done = map[string]int{}, map[string]int{}
	for k, v := range c.calls {
		calls[k] = v
	}
	for k, v := range c.done {
		done[k] = v
	}
	return calls, done
}

func flakyRig(t *testing.T, conn *flakyConnector, exec ExecutorConfig) *rig {
	t.Helper()
	r := newRig(t, "../testdata/inventory.yaml", nil)
	r.conns = connectors.Set{conn.Provider(): conn}
	r.exec = exec
	r.svc = r.service(shippedPolicies(t))
	return r
}

func TestActionsOutlastAConnectorThatIsDownForAWhile(t *testing.T) {
	conn := newFlakyConnector(3, connectors.Retryable)
	r := flakyRig(t, conn, ExecutorConfig{Backoff: 10 * time.Millisecond})
	r.start()
	alert := readFile(t, erinAlert)
	r.send([2][]byte{[]byte("erin"), alert})
	r.waitFor("erin's actions done", func() bool { return r.settled(1) })
	// The same alert again, after its actions were executed.
	r.send([2][]byte{[]byte("erin"), alert})
	r.waitFor("the redelivery processed", func() bool { return r.settled(2) })
	r.stop()

	calls, done := conn.counts()
	for _, target := range []string{"session:erin-okta-web", "credential:erin-password"} {
		if calls[target] != 4 || done[target] != 1 {
			t.Errorf("%s: %d calls, %d that made the change; want 4 and 1",
				target, calls[target], done[target])
		}
	}
	acts, err := r.store.ListActions(context.Background(), store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.State != store.ActionDone {
			t.Errorf("action %s %s:%s is %s (%s), want done", a.Kind,
				a.TargetType, a.TargetID, a.State, a.LastError)
		}
	}
	assertSessionStatus(t, r.store, "erin-okta-web", store.StatusRevoked)
	assertAuditCount(t, r.store, EventSessionRevoked, 2)
	assertAuditCount(t, r.store, EventCredentialRevoked, 1)
}

func TestAPermanentRefusalFailsTheActionWithTheReason(t *testing.T) {
	conn := newFlakyConnector(1000, connectors.Permanent)
	r := flakyRig(t, conn, ExecutorConfig{Backoff: 10 * time.Millisecond})
	r.start()
	r.send([2][]byte{[]byte("erin"), readFile(t, erinAlert)})
	r.waitFor("erin's actions finished", func() bool { return r.settled(1) })
	r.stop()

	acts, err := r.store.ListActions(context.Background(),
		store.ActionFilter{State: store.ActionFailed})
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 3 {
		t.Fatalf("%d failed actions, want 3 (sessions, credential, principal): %+v", len(acts), acts)
	}
	for _, a := range acts {
		if !strings.Contains(a.LastError, "okta answered 503") {
			t.Errorf("action %s failed with %q, which does not say why", a.Kind, a.LastError)
		}
	}
	calls, _ := conn.counts()
	if calls["session:erin-okta-web"] != 1 {
		t.Errorf("a permanent refusal was retried: %d calls", calls["session:erin-okta-web"])
	}
	assertSessionStatus(t, r.store, "erin-okta-web", store.StatusActive)
}

// A provider that never answers must not hold the executor: the call is
// given a deadline inside the action's lease, so that no other executor
// takes the action over while it is still being worked on.
func TestAConnectorThatNeverAnswersIsCutOffWithinTheLease(t *testing.T) {
	conn := newFlakyConnector(0, connectors.Retryable)
	conn.hang = true
	r := flakyRig(t, conn, ExecutorConfig{Backoff: 10 * time.Millisecond,
		Lease: 2 * time.Second})
	r.start()
	r.send([2][]byte{[]byte("erin"), readFile(t, erinAlert)})
	r.waitFor("erin's actions done", func() bool { return r.settled(1) })
	r.stop()

	calls, done := conn.counts()
	if calls["session:erin-okta-web"] != 2 || done["session:erin-okta-web"] != 1 {
		t.Errorf("erin-okta-web: %d calls, %d done; want 2 and 1",
			calls["session:erin-okta-web"], done["session:erin-okta-web"])
	}
	for i, ok := range conn.deadlines {
		if !ok {
			t.Errorf("call %d had no deadline", i)
		}
	}
}

// An outage outlasts any fixed number of quick tries: an action whose
// connector keeps answering Retryable stays in the outbox until the
// provider is back, and is not failed for good after a few minutes.
func TestALongOutageStillEndsInARevocation(t *testing.T) {
	conn := newFlakyConnector(12, connectors.Retryable)
	r := flakyRig(t, conn, ExecutorConfig{Backoff: time.Millisecond})
	r.start()
	r.send([2][]byte{[]byte("erin"), readFile(t, erinAlert)})
	r.waitFor("erin's actions finished", func() bool { return r.settled(1) })
	r.stop()

	_, done := conn.counts()
	if done["session:erin-okta-web"] != 1 {
		acts, _ := r.store.ListActions(context.Background(),
			store.ActionFilter{State: store.ActionFailed})
		t.Fatalf("erin-okta-web never revoked; failed actions: %+v", acts)
	}
	assertSessionStatus(t, r.store, "erin-okta-web", store.StatusRevoked)
}
