package respond

import (
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// scope allows the kinds and providers listed; an empty list allows all.
type scope struct {
	kinds     []store.PrincipalKind
	providers []string
}

func (s scope) AllowsKind(k store.PrincipalKind) bool {
	return len(s.kinds) == 0 || slices.Contains(s.kinds, k)
}

func (s scope) AllowsProvider(p string) bool {
	return len(s.providers) == 0 || slices.Contains(s.providers, p)
}

// waker counts the executor's wake-ups.
type waker struct {
	*engine.Executor
	wakes int
}

func (w *waker) Wake() { w.wakes++; w.Executor.Wake() }

// demo is a Responder over the demo inventory, with an executor that
// revokes in the registry only.
func demo(t *testing.T, cfg Config) (*Responder, store.Store, *waker) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ks.db"))
	must(t, err)
	t.Cleanup(func() { st.Close() })
	inv, err := inventory.Load("../../testdata/inventory.yaml")
	must(t, err)
	_, err = inv.Import(t.Context(), st, time.Now())
	must(t, err)
	x := &waker{Executor: engine.NewExecutor(st, connectors.Set{}, nil,
		engine.ExecutorConfig{}, time.Now, slog.New(slog.DiscardHandler))}
	return New(st, x, cfg, time.Now), st, x
}

var kim = Caller{Name: "kim"}

// live lists the ids of the live sessions of principal.
func live(t *testing.T, st store.Store, principal string) []string {
	t.Helper()
	ss, err := st.ListSessions(t.Context(), store.SessionFilter{
		PrincipalID: principal, Status: store.StatusActive})
	must(t, err)
	var ids []string
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	return ids
}

// signals counts the requests recorded in the outbox.
func signals(t *testing.T, st store.Store) int {
	t.Helper()
	recs, err := st.ListSignals(t.Context(), 0)
	must(t, err)
	return len(recs)
}

func TestTerminatingAPrincipalRevokesEverySessionAsTheCaller(t *testing.T) {
	r, st, _ := demo(t, Config{})
	got, err := r.Terminate(t.Context(), kim, TerminateRequest{
		PrincipalID: "alice", Reason: "INC-4711"})
	must(t, err)
	if got.Matched != 3 || len(got.Actions) != 1 ||
		got.Actions[0].State != store.ActionDone {
		t.Fatalf("termination %+v, want 3 sessions by one done action", got)
	}
	if ids := live(t, st, "alice"); len(ids) != 0 {
		t.Fatalf("alice still has %q", ids)
	}
	s, err := st.GetSession(t.Context(), "alice-okta-phone")
	must(t, err)
	if s.Revocation.By != "operator:kim" || s.Revocation.Reason != "INC-4711" {
		t.Fatalf("revocation %+v, want by operator:kim for INC-4711", s.Revocation)
	}
	audit, err := st.ListAudit(t.Context(), store.AuditFilter{})
	must(t, err)
	if audit[0].Actor != "operator:kim" || audit[0].Event != "operator.revoke" {
		t.Fatalf("first audit entry %+v, want operator.revoke by kim", audit[0])
	}
}

func TestScopeRefusals(t *testing.T) {
	bots := Caller{Name: "ci", Scope: scope{
		kinds: []store.PrincipalKind{store.KindServiceAccount}}}
	oktaOnly := Caller{Name: "okta-team", Scope: scope{providers: []string{"okta"}}}
	tests := []struct {
		name   string
		caller Caller
		req    TerminateRequest
		want   string
	}{
		{"A token for service accounts cannot end a human's session", bots,
			TerminateRequest{SessionID: "alice-okta-laptop"},
			"principal of kind human"},
		{"A token for service accounts cannot end a human's sessions", bots,
			TerminateRequest{PrincipalID: "frank"}, "principal of kind human"},
		{"A token for service accounts cannot revoke a human's credential",
			bots, TerminateRequest{CredentialID: "alice-aws-key"},
			"principal of kind human"},
		{"A token for Okta cannot end a principal's sessions elsewhere",
			oktaOnly, TerminateRequest{PrincipalID: "alice"},
			"terminate by a filter"},
		{"A token for Okta cannot end a session at GitHub", oktaOnly,
			TerminateRequest{SessionID: "frank-github-cli"},
			"live sessions at github"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, st, _ := demo(t, Config{})
			tc.req.Reason = "INC-1"
			_, err := r.Terminate(t.Context(), tc.caller, tc.req)
			if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want ErrForbidden saying %q", err, tc.want)
			}
			if n := signals(t, st); n != 0 {
				t.Fatalf("a refused request recorded %d requests", n)
			}
		})
	}
}

func TestAScopedCallerActsWithinItsScope(t *testing.T) {
	r, st, _ := demo(t, Config{})
	bots := Caller{Name: "ci", Scope: scope{
		kinds: []store.PrincipalKind{store.KindServiceAccount}}}
	_, err := r.Terminate(t.Context(), bots, TerminateRequest{
		PrincipalID: "deploy-bot", Reason: "token leaked"})
	must(t, err)
	if ids := live(t, st, "deploy-bot"); len(ids) != 0 {
		t.Fatalf("deploy-bot still has %q", ids)
	}
}

func TestAFilterTerminatesWhatItMatchesWithinTheScope(t *testing.T) {
	r, st, _ := demo(t, Config{})
	humans := Caller{Name: "kim", Scope: scope{
		kinds: []store.PrincipalKind{store.KindHuman}}}
	got, err := r.Terminate(t.Context(), humans, TerminateRequest{
		Filter: &SessionQuery{Store: store.SessionFilter{Provider: "okta"},
			Query: map[string]string{"provider": "okta"}},
		Reason: "okta breach"})
	must(t, err)
	if len(got.Actions) != 1 || got.Actions[0].TargetType != "sessions" ||
		got.Actions[0].State != store.ActionDone {
		t.Fatalf("actions %+v, want one done on the set", got.Actions)
	}
	s, err := st.GetSession(t.Context(), "support-agent-okta-token")
	must(t, err)
	if s.Status != store.StatusActive {
		t.Fatal("the agent's Okta token was terminated by a human-only caller")
	}
	if slices.Contains(live(t, st, "alice"), "alice-okta-laptop") ||
		!slices.Contains(live(t, st, "alice"), "alice-aws-console") {
		t.Fatalf("alice's live sessions %q, want the AWS one only",
			live(t, st, "alice"))
	}
	if got.Matched != len(got.Sessions) || got.Matched < 4 {
		t.Fatalf("matched %d: %q", got.Matched, got.Sessions)
	}
}

func TestAFilterOverTheThresholdWantsTheExactCount(t *testing.T) {
	r, st, _ := demo(t, Config{ConfirmOver: 2})
	req := TerminateRequest{Filter: &SessionQuery{
		Store: store.SessionFilter{Provider: "okta"}}, Reason: "okta breach"}
	_, err := r.Terminate(t.Context(), kim, req)
	var ce *ConfirmError
	if !errors.As(err, &ce) || ce.Matched < 3 ||
		!strings.Contains(err.Error(), "confirm") {
		t.Fatalf("error = %v, want a ConfirmError with the count", err)
	}
	req.Confirm = ce.Matched + 1
	if _, err := r.Terminate(t.Context(), kim, req); !errors.As(err, &ce) {
		t.Fatalf("a wrong count: error = %v, want a ConfirmError", err)
	}
	if n := signals(t, st); n != 0 {
		t.Fatalf("unconfirmed requests recorded %d requests", n)
	}
	req.Confirm = ce.Matched
	got, err := r.Terminate(t.Context(), kim, req)
	must(t, err)
	if got.Matched != ce.Matched {
		t.Fatalf("terminated %d, confirmed %d", got.Matched, ce.Matched)
	}
}

func TestAFilterMatchingNothingRecordsNothing(t *testing.T) {
	r, st, _ := demo(t, Config{})
	got, err := r.Terminate(t.Context(), kim, TerminateRequest{
		Filter: &SessionQuery{Store: store.SessionFilter{Provider: "nowhere"}},
		Reason: "x"})
	must(t, err)
	if got.Matched != 0 || signals(t, st) != 0 {
		t.Fatalf("termination %+v recorded %d", got, signals(t, st))
	}
}

func TestBadTerminations(t *testing.T) {
	r, st, _ := demo(t, Config{})
	for _, req := range []TerminateRequest{
		{PrincipalID: "alice"},
		{PrincipalID: "alice", SessionID: "alice-okta-phone", Reason: "x"},
		{PrincipalID: "alice", Filter: &SessionQuery{}, Reason: "x"},
		{Reason: "x"},
	} {
		if _, err := r.Terminate(t.Context(), kim, req); !errors.Is(err,
			engine.ErrBadRequest) {
			t.Fatalf("%+v: error = %v, want ErrBadRequest", req, err)
		}
	}
	_, err := r.Terminate(t.Context(), kim, TerminateRequest{
		SessionID: "nosuch", Reason: "x"})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown session: error = %v", err)
	}
	if n := signals(t, st); n != 0 {
		t.Fatalf("bad requests recorded %d", n)
	}
}

func TestLocksWithinTheScope(t *testing.T) {
	r, st, _ := demo(t, Config{})
	humans := Caller{Name: "kim", Scope: scope{
		kinds: []store.PrincipalKind{store.KindHuman}}}
	_, err := r.PlaceLock(t.Context(), humans, engine.LockRequest{
		TargetType: "origin", Target: "203.0.113.0/24", Reason: "botnet"})
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("origin lock by a scoped caller: error = %v", err)
	}
	_, err = r.PlaceLock(t.Context(), humans, engine.LockRequest{
		TargetType: "principal", Target: "deploy-bot", Reason: "x"})
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("lock on a bot by a human-only caller: error = %v", err)
	}
	l, err := r.PlaceLock(t.Context(), humans, engine.LockRequest{
		TargetType: "principal", Target: "alice", Reason: "INC-4711",
		Expires: time.Now().Add(time.Hour)})
	must(t, err)
	if l.CreatedBy != "operator:kim" {
		t.Fatalf("lock %+v, want placed by operator:kim", l)
	}
	bots := Caller{Name: "ci", Scope: scope{
		kinds: []store.PrincipalKind{store.KindServiceAccount}}}
	if _, err := r.LiftLock(t.Context(), bots, l.ID, "x"); !errors.Is(err,
		ErrForbidden) {
		t.Fatalf("lift by a bot-only caller: error = %v", err)
	}
	if _, err := r.LiftLock(t.Context(), kim, "nosuch", "x"); !errors.Is(err,
		store.ErrNotFound) {
		t.Fatalf("lift of an unknown lock: error = %v", err)
	}
	lifted, err := r.LiftLock(t.Context(), kim, l.ID, "owner verified")
	must(t, err)
	if lifted.LiftedBy != "operator:kim" || lifted.LiftReason != "owner verified" {
		t.Fatalf("lifted %+v", lifted)
	}
	inForce, err := st.ListLocks(t.Context(), time.Now())
	must(t, err)
	if len(inForce) != 0 {
		t.Fatalf("locks in force: %+v", inForce)
	}
}

// hold records an action on principal, of that kind, awaiting approval.
func hold(t *testing.T, st store.Store, id, principal string,
	kind store.PrincipalKind) {
	t.Helper()
	now := time.Now()
	_, err := st.RecordSignal(t.Context(), store.SignalRecord{ID: "sig-" + id,
		DedupKey: "d-" + id, Time: now, ReceivedAt: now},
		[]store.Action{{ID: id, IdempotencyKey: "k-" + id, SignalID: "sig-" + id,
			Kind: "revoke_sessions", TargetType: "principal",
			TargetID: principal, Reason: "alert", PrincipalKind: kind,
			State: store.ActionAwaitingApproval, CreatedAt: now,
			UpdatedAt: now}}, nil)
	must(t, err)
}

func TestApprovalsWithinTheScope(t *testing.T) {
	r, st, x := demo(t, Config{})
	hold(t, st, "act-1", "alice", store.KindHuman)
	hold(t, st, "act-2", "deploy-bot", store.KindServiceAccount)
	bots := Caller{Name: "ci", Scope: scope{
		kinds: []store.PrincipalKind{store.KindServiceAccount}}}
	if _, err := r.Approve(t.Context(), bots, "act-1", "ok"); !errors.Is(err,
		ErrForbidden) {
		t.Fatalf("approval of a human's action by a bot-only caller: %v", err)
	}
	a, err := r.Approve(t.Context(), bots, "act-2", "confirmed")
	must(t, err)
	if a.State != store.ActionPending || a.Verdict.By != "operator:ci" || x.wakes != 1 {
		t.Fatalf("approved %+v after %d wakes, want pending by operator:ci "+
			"and the executor woken", a, x.wakes)
	}
	if _, err := r.Reject(t.Context(), kim, "act-2", "late"); !errors.Is(err,
		store.ErrNotAwaiting) {
		t.Fatalf("second verdict: error = %v, want ErrNotAwaiting", err)
	}
	if _, err := r.Reject(t.Context(), kim, "act-1", ""); !errors.Is(err,
		engine.ErrBadRequest) {
		t.Fatalf("verdict without a reason: error = %v", err)
	}
	a, err = r.Reject(t.Context(), kim, "act-1", "pentest")
	must(t, err)
	if a.State != store.ActionSkipped {
		t.Fatalf("rejected %+v, want skipped", a)
	}
}
