package engine

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// tripCount is a TripCounter that remembers.
type tripCount struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *tripCount) BudgetTripped(_, budget string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[budget]++
}

// aliceSignal is the alert about alice with its dedup key made unique
// by n, so that each is a new signal.
func aliceSignal(t *testing.T, n string) signals.Signal {
	t.Helper()
	sig, err := signals.Decode(readFile(t,
		"../testdata/alerts/08-okta-session-start-alice.json"))
	if err != nil {
		t.Fatal(err)
	}
	sig.DedupKey += "#" + n
	return sig
}

// processAs runs sig through a new pipeline over st, as a freshly
// started engine would, and returns its actions.
func processAs(t *testing.T, st store.Store, ev Evaluator, g Guardrails,
	log *slog.Logger, sig signals.Signal) []store.Action {
	t.Helper()
	p := NewPipeline(st, ev, g, time.Now, log)
	out, err := p.ProcessSignal(context.Background(), sig)
	if err != nil {
		t.Fatal(err)
	}
	return out.Actions
}

func TestABudgetHoldsActionsPastItsLimitAcrossRestarts(t *testing.T) {
	st := demoStore(t)
	trips := &tripCount{}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	g := Guardrails{Trips: trips, Budgets: []store.Budget{{
		Name: "human-revocations", Limit: 2, Window: time.Hour,
		Kind: rules.RevokeSessions, PrincipalKind: store.KindHuman}}}
	ev := fixedDecision{rules.Decision{Actions: []rules.Action{revokeAlice}}}
	var states []string
	for _, n := range []string{"1", "2", "3"} {
		as := processAs(t, st, ev, g, log, aliceSignal(t, n))
		states = append(states, as[0].State)
		// An executor takes each up before the next alert, which would
		// be coalesced into it while it waits.
		if _, err := st.ClaimActions(context.Background(), "executor",
			time.Now(), time.Hour, 10); err != nil {
			t.Fatal(err)
		}
		if n == "3" {
			if got := state(t, st, as[0].ID); got != store.ActionAwaitingApproval {
				t.Fatalf("stored state %s, want held", got)
			}
			wantEvent(t, st, as[0].ID, "engine budget.exceeded")
		}
	}
	want := []string{store.ActionPending, store.ActionPending,
		store.ActionAwaitingApproval}
	if strings.Join(states, ",") != strings.Join(want, ",") {
		t.Fatalf("states %q, want %q", states, want)
	}
	if trips.n["human-revocations"] != 1 {
		t.Errorf("trips counted %v, want 1 of human-revocations", trips.n)
	}
	if !strings.Contains(logs.String(), "level=ERROR") ||
		!strings.Contains(logs.String(), "budget=human-revocations") {
		t.Errorf("no error log names the budget: %s", logs.String())
	}
}

// wantEvent fails unless the audit trail of subject has the entry
// "actor event".
func wantEvent(t *testing.T, st store.Store, subject, want string) {
	t.Helper()
	for _, e := range events(t, st, subject) {
		if e == want {
			return
		}
	}
	t.Fatalf("audit of %s = %q, want %q", subject, events(t, st, subject), want)
}

// guardedPolicy revokes alice's sessions and locks her whatever the
// input says; its data makes her break-glass or budgets the lock.
const guardedPolicy = `package killswitch.response

decision := {"actions": [
	{"kind": "revoke_sessions", "target": {"type": "principal", "id": "alice"},
	 "reason": "r", "rule": "always"},
	{"kind": "lock", "target": {"type": "principal", "id": "alice"},
	 "reason": "r", "rule": "always", "ttl": "1h"},
]}
`

func loadGuarded(t *testing.T, data string) *rules.PolicySet {
	t.Helper()
	ps, err := rules.Load(context.Background(), fstest.MapFS{
		"main.rego": {Data: []byte(guardedPolicy)},
		"data.json": {Data: []byte(data)}})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestBreakGlassInPolicyDataIsNeverActedOn(t *testing.T) {
	st := demoStore(t)
	ps := loadGuarded(t, `{"killswitch": {"break_glass": {"principals": ["alice"]}}}`)
	as := processAs(t, st, ps, Guardrails{}, discardLog(), aliceSignal(t, "1"))
	for _, a := range as {
		if a.State != store.ActionSkipped ||
			!strings.Contains(a.LastError, "break-glass in the policy data") {
			t.Fatalf("action %s on alice: %s (%s), want skipped as break-glass",
				a.Kind, a.State, a.LastError)
		}
		wantEvent(t, st, a.ID, "engine action.skipped")
	}
}

func TestProtectedInConfigIsNeverActedOn(t *testing.T) {
	st := demoStore(t)
	ps := loadGuarded(t, `{}`)
	g := Guardrails{Protected: []string{"alice"}}
	for _, a := range processAs(t, st, ps, g, discardLog(), aliceSignal(t, "1")) {
		if a.State != store.ActionSkipped ||
			!strings.Contains(a.LastError, "protected") {
			t.Fatalf("action %s on alice: %s (%s), want skipped as protected",
				a.Kind, a.State, a.LastError)
		}
	}
}

func TestABudgetInPolicyDataHoldsItsKindOnly(t *testing.T) {
	st := demoStore(t)
	ps := loadGuarded(t, `{"killswitch": {"budgets": [{"name": "no-locks",
		"limit": 0, "window": "1h", "kind": "lock"}]}}`)
	got := map[string]string{}
	for _, a := range processAs(t, st, ps, Guardrails{}, discardLog(),
		aliceSignal(t, "1")) {
		got[a.Kind] = a.State
	}
	if got["lock"] != store.ActionAwaitingApproval ||
		got["revoke_sessions"] != store.ActionPending {
		t.Fatalf("states %v, want the lock held and the revocation pending", got)
	}
}

func TestAProtectedPrincipalNamedByAnAliasIsNeverActedOn(t *testing.T) {
	cases := []struct {
		name, data string
		g          Guardrails
	}{
		{"protected in the config by e-mail", `{}`,
			Guardrails{Protected: []string{"alice@example.com"}}},
		{"protected in the config by a differently cased e-mail", `{}`,
			Guardrails{Protected: []string{"Alice@Example.COM"}}},
		{"break-glass in the policy data by okta user id",
			`{"killswitch": {"break_glass": {"principals": ` +
				`["00ualiceDEMO00000001"]}}}`, Guardrails{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := demoStore(t)
			ps := loadGuarded(t, c.data)
			as := processAs(t, st, ps, c.g, discardLog(), aliceSignal(t, "1"))
			for _, a := range as {
				if a.State != store.ActionSkipped {
					t.Fatalf("action %s on alice: %s (%s), want skipped",
						a.Kind, a.State, a.LastError)
				}
			}
		})
	}
}

func TestASignalNamingAProtectedAndAnotherPrincipalActsOnTheOtherOnly(t *testing.T) {
	st := demoStore(t)
	sig := aliceSignal(t, "1")
	sig.Subjects = append(sig.Subjects, signals.Subject{
		Type: signals.SubjectEmail, Value: "frank@example.com",
		Role: signals.RoleTarget})
	revokeFrank := revokeAlice
	revokeFrank.Target.ID = "frank"
	ev := fixedDecision{rules.Decision{Actions: []rules.Action{revokeAlice,
		revokeFrank}}}
	g := Guardrails{Protected: []string{"alice"}}
	got := map[string]string{}
	for _, a := range processAs(t, st, ev, g, discardLog(), sig) {
		got[a.TargetID] = a.State
	}
	if got["alice"] != store.ActionSkipped || got["frank"] != store.ActionPending {
		t.Fatalf("states %v, want alice skipped and frank pending", got)
	}
}
