package engine

import (
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

func planInput() rules.Input {
	return rules.Input{
		Principals: []rules.Principal{
			{Principal: store.Principal{ID: "alice", Kind: store.KindHuman}},
			{Principal: store.Principal{ID: "root", Kind: store.KindHuman, BreakGlass: true}},
		},
		Sessions: []store.Session{
			{ID: "s-alice", PrincipalID: "alice"},
			{ID: "s-root", PrincipalID: "root"},
		},
		Credentials: []rules.Credential{
			{Credential: store.Credential{ID: "c-root", PrincipalID: "root"}},
		},
	}
}

func TestGuardrailsPlan(t *testing.T) {
	revoke := func(typ, id string) rules.Action {
		return rules.Action{Kind: rules.RevokeSessions, Reason: "test",
			Target: rules.Target{Type: typ, ID: id}}
	}
	cases := []struct {
		name     string
		guard    Guardrails
		approval bool
		action   rules.Action
		state    string
	}{
		{"an ordinary action is pending", Guardrails{}, false,
			revoke("principal", "alice"), store.ActionPending},
		{"a break-glass principal is skipped", Guardrails{}, false,
			revoke("principal", "root"), store.ActionSkipped},
		{"a break-glass principal's session is skipped", Guardrails{}, false,
			revoke("session", "s-root"), store.ActionSkipped},
		{"a break-glass principal's credential is skipped", Guardrails{}, false,
			rules.Action{Kind: rules.RevokeCredential, Reason: "x",
				Target: rules.Target{Type: "credential", ID: "c-root"}},
			store.ActionSkipped},
		{"a protected principal is skipped", Guardrails{Protected: []string{"alice"}},
			false, revoke("principal", "alice"), store.ActionSkipped},
		{"dry run skips everything", Guardrails{DryRun: true}, false,
			revoke("principal", "alice"), store.ActionSkipped},
		{"a decision that requires approval waits for it", Guardrails{}, true,
			revoke("principal", "alice"), store.ActionAwaitingApproval},
		{"a target the policy was not shown is skipped", Guardrails{}, false,
			revoke("principal", "mallory"), store.ActionSkipped},
		{"break-glass wins over approval", Guardrails{}, true,
			revoke("principal", "root"), store.ActionSkipped},
		{"a monitor-mode action is skipped", Guardrails{}, false,
			monitored(revoke("principal", "alice")), store.ActionSkipped},
		{"monitor mode wins over approval", Guardrails{}, true,
			monitored(revoke("principal", "alice")), store.ActionSkipped},
	}
	sig := signals.Signal{DedupKey: "okta:1"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dec := rules.Decision{Actions: []rules.Action{c.action},
				RequiresApproval: c.approval}
			acts := c.guard.Plan("sig_1", sig, planInput(), dec, "rev", time.Now())
			if len(acts) != 1 {
				t.Fatalf("planned %d actions, want 1", len(acts))
			}
			if acts[0].State != c.state {
				t.Fatalf("state = %q (%s), want %q", acts[0].State,
					acts[0].LastError, c.state)
			}
		})
	}
}

func monitored(a rules.Action) rules.Action {
	a.Mode = rules.ModeMonitor
	return a
}

func TestMonitorModeSaysWhy(t *testing.T) {
	dec := rules.Decision{Actions: []rules.Action{monitored(rules.Action{
		Kind: rules.Notify, Reason: "r",
		Target: rules.Target{Type: "principal", ID: "alice"}})}}
	acts := Guardrails{}.Plan("s", signals.Signal{DedupKey: "k"}, planInput(),
		dec, "rev", time.Now())
	if acts[0].LastError != "monitor mode" {
		t.Fatalf("skipped with %q, want %q", acts[0].LastError, "monitor mode")
	}
}

func TestPlanIsStableAcrossRedeliveries(t *testing.T) {
	sig := signals.Signal{DedupKey: "risc:https://idp.example.com/#abc"}
	dec := rules.Decision{Actions: []rules.Action{{Kind: rules.RevokeSessions,
		Reason: "r", Target: rules.Target{Type: "principal", ID: "alice"}}}}
	a := Guardrails{}.Plan("s", sig, planInput(), dec, "rev1", time.Now())
	b := Guardrails{}.Plan("s", sig, planInput(), dec, "rev2", time.Now().Add(time.Hour))
	if a[0].IdempotencyKey != b[0].IdempotencyKey || a[0].ID != b[0].ID {
		t.Fatalf("a redelivery planned a different action: %q/%q vs %q/%q",
			a[0].ID, a[0].IdempotencyKey, b[0].ID, b[0].IdempotencyKey)
	}
	other := sig
	other.DedupKey = "risc:https://other.example.com/#abc"
	c := Guardrails{}.Plan("s", other, planInput(), dec, "rev1", time.Now())
	if c[0].IdempotencyKey == a[0].IdempotencyKey {
		t.Fatal("two different signals share an idempotency key")
	}
}

func TestCredentialAges(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	exposed := store.Exposure{At: now.Add(-50 * time.Hour)}
	cases := []struct {
		name         string
		cred         store.Credential
		matched      bool
		category     signals.Category
		age, exposed int
	}{
		{"never exposed", store.Credential{CreatedAt: now.Add(-49 * time.Hour)},
			false, signals.CategoryThreat, 2, -1},
		{"exposed two days ago", store.Credential{CreatedAt: now.Add(-400 * 24 * time.Hour),
			Exposure: &exposed}, false, signals.CategoryThreat, 400, 2},
		{"named by the exposure signal now", store.Credential{CreatedAt: now.Add(-time.Hour)},
			true, signals.CategorySecretExposure, 0, 0},
		{"an earlier recorded exposure wins", store.Credential{Exposure: &exposed,
			CreatedAt: now.Add(-72 * time.Hour)}, true, signals.CategorySecretExposure, 3, 2},
		{"created in the future counts as zero days", store.Credential{
			CreatedAt: now.Add(time.Hour)}, false, signals.CategoryThreat, 0, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cred.ID = "c"
			res := resolution{credentials: map[string][]signals.Subject{}}
			if c.matched {
				res.credentials["c"] = []signals.Subject{{Type: "secret_hash", Value: "h"}}
			}
			sig := signals.Signal{Category: c.category, Time: now}
			got := withAges(c.cred, res, sig, now)
			if got.AgeDays != c.age || got.DaysSinceExposure != c.exposed {
				t.Fatalf("age %d, days since exposure %d; want %d, %d",
					got.AgeDays, got.DaysSinceExposure, c.age, c.exposed)
			}
		})
	}
}
