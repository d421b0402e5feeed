package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// fixedDecision is an evaluator that always decides dec.
type fixedDecision struct{ dec rules.Decision }

func (f fixedDecision) Evaluate(context.Context, rules.Input) (rules.Decision, error) {
	d := f.dec
	d.Revision = "rev-test"
	return d, nil
}

func (fixedDecision) Revision() string { return "rev-test" }

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// revokeAlice asks to revoke every session of alice.
var revokeAlice = rules.Action{Kind: rules.RevokeSessions, Reason: "test",
	Rule: "test_rule", Target: rules.Target{Type: "principal", ID: "alice"}}

// decideOnce runs one alert about alice through a pipeline that decides
// dec under g, and returns its one action.
func decideOnce(t *testing.T, st store.Store, dec rules.Decision,
	g Guardrails, clock Clock) store.Action {
	t.Helper()
	p := NewPipeline(st, fixedDecision{dec}, g, clock, discardLog())
	out, err := p.Process(context.Background(),
		readFile(t, "../testdata/alerts/08-okta-session-start-alice.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Actions) != 1 {
		t.Fatalf("planned %d actions, want 1", len(out.Actions))
	}
	return out.Actions[0]
}

func discardLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// state reads an action's state.
func state(t *testing.T, st store.Store, id string) string {
	t.Helper()
	a, err := st.GetAction(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.State
}

// events lists the audit events about subject, as actor event.
func events(t *testing.T, st store.Store, subject string) []string {
	t.Helper()
	es, err := st.ListAudit(context.Background(),
		store.AuditFilter{Subject: subject})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Actor+" "+e.Event)
	}
	return out
}

func TestAnApprovedActionRunsAndARejectedOneNever(t *testing.T) {
	for _, approve := range []bool{true, false} {
		st := demoStore(t)
		ctx := context.Background()
		dec := rules.Decision{Actions: []rules.Action{revokeAlice},
			RequiresApproval: true}
		a := decideOnce(t, st, dec, Guardrails{}, time.Now)
		x := NewExecutor(st, connectors.Set{}, nil, ExecutorConfig{},
			time.Now, discardLog())
		if n, _ := x.RunOnce(ctx); n != 0 || a.State != store.ActionAwaitingApproval {
			t.Fatalf("held action %s: claimed %d, want it held", a.State, n)
		}
		decide, want, event := Approve, store.ActionDone, "operator:dana action.approved"
		if !approve {
			decide, want, event = Reject, store.ActionSkipped, "operator:dana action.rejected"
		}
		if _, err := decide(ctx, st, a.ID, "dana", "INC-9", time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := x.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if got := state(t, st, a.ID); got != want {
			t.Fatalf("approve=%v: state %s, want %s", approve, got, want)
		}
		if got := events(t, st, a.ID); len(got) == 0 || got[0] != event {
			t.Fatalf("approve=%v: audit %q, want %q first", approve, got, event)
		}
		_, err := Approve(ctx, st, a.ID, "erin", "again", time.Now())
		if !errors.Is(err, store.ErrNotAwaiting) {
			t.Fatalf("a second verdict: %v, want store.ErrNotAwaiting", err)
		}
	}
}

func TestAVerdictNeedsAnOperatorAndAReason(t *testing.T) {
	st := demoStore(t)
	_, err := Approve(context.Background(), st, "act_x", "dana", " ", time.Now())
	if !errors.Is(err, ErrBadRequest) {
		t.Fatalf("approve without a reason: %v, want ErrBadRequest", err)
	}
}

func TestAnApprovalTimeoutRunsOrDropsAsThePolicyChose(t *testing.T) {
	cases := []struct {
		onTimeout, want string
	}{
		{rules.OnTimeoutExecute, store.ActionDone},
		{rules.OnTimeoutDrop, store.ActionSkipped},
	}
	for _, c := range cases {
		st := demoStore(t)
		ctx := context.Background()
		clock := &testClock{now: time.Now()}
		dec := rules.Decision{Actions: []rules.Action{revokeAlice},
			RequiresApproval: true, ApprovalTimeout: time.Hour,
			OnTimeout: c.onTimeout}
		a := decideOnce(t, st, dec, Guardrails{}, clock.Now)
		x := NewExecutor(st, connectors.Set{}, nil, ExecutorConfig{},
			clock.Now, discardLog())
		clock.Add(59 * time.Minute)
		if n, err := x.ExpireApprovals(ctx); n != 0 || err != nil {
			t.Fatalf("before the deadline: %d expired (%v), want none", n, err)
		}
		clock.Add(2 * time.Minute)
		if n, err := x.ExpireApprovals(ctx); n != 1 || err != nil {
			t.Fatalf("after the deadline: %d expired (%v), want 1", n, err)
		}
		if _, err := x.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if got := state(t, st, a.ID); got != c.want {
			t.Fatalf("on timeout %s: state %s, want %s", c.onTimeout, got, c.want)
		}
		if got := events(t, st, a.ID); len(got) == 0 ||
			got[0] != "engine action.approval_expired" {
			t.Fatalf("audit %q, want the expiry by the engine first", got)
		}
	}
}

func TestAPolicyLockRefusesNewSessionsOfItsTarget(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	lock := rules.Action{Kind: rules.Lock, Reason: "takeover",
		Rule: "test_rule", TTL: "1h",
		Target: rules.Target{Type: "principal", ID: "alice"}}
	a := decideOnce(t, st, rules.Decision{Actions: []rules.Action{lock}},
		Guardrails{}, time.Now)
	x := NewExecutor(st, connectors.Set{}, nil, ExecutorConfig{}, time.Now,
		discardLog())
	if _, err := x.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := state(t, st, a.ID); got != store.ActionDone {
		t.Fatalf("lock action %s, want done", got)
	}
	err := st.PutSession(ctx, store.Session{ID: "alice-new",
		PrincipalID: "alice", Provider: "okta", Kind: "browser"})
	var le *store.LockedError
	if !errors.As(err, &le) || le.Lock.CreatedBy != "policy:test_rule" {
		t.Fatalf("new session of alice: %v, want refused by the policy's lock", err)
	}
	locks, err := st.LockedBy(ctx, store.LockQuery{PrincipalID: "alice"},
		time.Now())
	if err != nil || len(locks) != 1 {
		t.Fatalf("LockedBy alice: %v (%v), want the policy's lock", locks, err)
	}
}

func TestALateApprovalStillGetsTheWholeRetryWindow(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	clock := &testClock{now: time.Now()}
	dec := rules.Decision{Actions: []rules.Action{revokeAlice},
		RequiresApproval: true}
	a := decideOnce(t, st, dec, Guardrails{}, clock.Now)
	clock.Add(48 * time.Hour)
	if _, err := Approve(ctx, st, a.ID, "dana", "late", clock.Now()); err != nil {
		t.Fatal(err)
	}
	okta := newFlakyConnector(1, connectors.Retryable)
	conns, _ := connectors.NewSet(okta)
	x := NewExecutor(st, conns, nil, ExecutorConfig{RetryFor: 24 * time.Hour},
		clock.Now, discardLog())
	if _, err := x.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := state(t, st, a.ID); got != store.ActionPending {
		t.Fatalf("after a first failure two days after planning: %s, "+
			"want pending for a retry", got)
	}
}

func TestApprovalsTimingOutToExecuteStayWithinTheBudget(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	clock := &testClock{now: time.Now()}
	budget := store.Budget{Name: "revocations", Limit: 1, Window: time.Hour}
	g := Guardrails{Budgets: []store.Budget{budget}}
	var held []string
	// Three effects, not duplicates of one (those are asked about once).
	for i, scope := range []string{"", "all", "provider:okta"} {
		n := fmt.Sprint(i)
		act := revokeAlice
		act.Scope = scope
		dec := rules.Decision{Actions: []rules.Action{act},
			RequiresApproval: true, ApprovalTimeout: 15 * time.Minute,
			OnTimeout: rules.OnTimeoutExecute}
		p := NewPipeline(st, fixedDecision{dec}, g, clock.Now, discardLog())
		out, err := p.ProcessSignal(ctx, aliceSignal(t, n))
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, out.Actions[0].ID)
	}
	x := NewExecutor(st, connectors.Set{}, nil, ExecutorConfig{
		Budgets: func() []store.Budget { return g.Budgets }},
		clock.Now, discardLog())
	clock.Add(20 * time.Minute)
	if _, err := x.ExpireApprovals(ctx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, id := range held {
		got = append(got, state(t, st, id))
	}
	want := []string{store.ActionPending, store.ActionAwaitingApproval,
		store.ActionAwaitingApproval}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("states after the timeout %q, want %q: a budget of 1 "+
			"lets one run on its own", got, want)
	}
	wantEvent(t, st, held[2], "engine budget.exceeded")
	clock.Add(2 * time.Hour)
	if n, err := x.ExpireApprovals(ctx); n != 0 || err != nil {
		t.Fatalf("later: %d expired (%v), want none: a held action waits "+
			"for a person", n, err)
	}
}

func TestDuplicatesOfAnActionAwaitingApprovalAskOnce(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	dec := rules.Decision{Actions: []rules.Action{revokeAlice},
		RequiresApproval: true, ApprovalTimeout: time.Hour}
	p := NewPipeline(st, fixedDecision{dec}, Guardrails{}, time.Now,
		discardLog())
	var first string
	for _, n := range []string{"1", "2", "3", "4"} {
		out, err := p.ProcessSignal(ctx, aliceSignal(t, n))
		if err != nil {
			t.Fatal(err)
		}
		if n == "1" {
			first = out.Actions[0].ID
		}
	}
	held, err := st.ListActions(ctx, store.ActionFilter{
		State: store.ActionAwaitingApproval})
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 1 || held[0].ID != first {
		t.Fatalf("%d actions await approval, want the first only: "+
			"duplicates of the same effect ask once", len(held))
	}
}
