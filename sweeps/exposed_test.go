package sweeps

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// day0 is when the sweep first sees the exposure.
var day0 = time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)

// auditEvents lists the events appended after seq, and the last seq.
func auditEvents(t *testing.T, st store.Store, after int64) ([]string, int64) {
	t.Helper()
	es, err := st.ListAudit(context.Background(), store.AuditFilter{AfterSeq: after})
	must(t, err)
	var events []string
	for _, e := range es {
		events = append(events, e.Event+" "+e.Subject)
		after = e.Seq
	}
	return events, after
}

// step is one daily sweep and what it must do.
type step struct {
	day int
	// report counts: examined, found, planned, done, failed.
	counts [5]int
	// kinds are the actions planned, sorted.
	kinds []string
	// calls are the requests GitHub saw.
	calls []string
	// events are the audit events, without subjects that carry ids.
	events []string
	// revoked is whether the credential and its session end revoked.
	revoked bool
}

const alert42 = "/repos/acme/payments-api/secret-scanning/alerts/42"

func TestAnExposureStillValidIsWaitedOnThenNotifiedThenRevoked(t *testing.T) {
	r := newRig(t, day0)
	r.putDeployBot(t, day0.AddDate(0, 0, -30))
	_, err := r.store.RecordExposure(context.Background(), store.ExposureRecord{
		CredentialID: "deploy-bot-pat", Source: "github_secret_scanning",
		Where: "acme/payments-api", FirstSeen: day0.Add(-time.Hour)})
	must(t, err)
	_, seq := auditEvents(t, r.store, 0)
	steps := []step{
		{day: 0, counts: [5]int{1, 1, 0, 0, 0},
			calls:  []string{"GET " + alert42},
			events: []string{"signal.decided", "sweep.finished"}},
		{day: 3, counts: [5]int{1, 1, 1, 1, 0}, kinds: []string{"notify"},
			calls: []string{"GET " + alert42},
			events: []string{"signal.decided", "notify", "action.done",
				"sweep.finished"}},
		{day: 6, counts: [5]int{1, 1, 3, 3, 0},
			kinds: []string{"notify", "revoke_credential", "revoke_sessions"},
			calls: []string{"GET " + alert42, // is it still valid?
				"GET " + alert42, "POST /credentials/revoke",
				"PATCH " + alert42, // revoke and resolve
				"GET " + alert42},  // verify
			events: []string{"signal.decided", "notify", "action.done",
				"credential.revoked", "action.done", "session.revoked",
				"action.done", "sweep.finished"},
			revoked: true},
		{day: 7, counts: [5]int{0, 0, 0, 0, 0},
			events: []string{"sweep.finished"}, revoked: true},
	}
	for _, s := range steps {
		at := day0.AddDate(0, 0, s.day)
		r.clock.Set(at)
		rep, err := r.runner.Run(context.Background(), "exposed-still-valid", at, 0)
		if err != nil {
			t.Fatalf("day %d: %v", s.day, err)
		}
		got := [5]int{rep.Examined, rep.Found, rep.Planned, rep.Done, rep.Failed}
		if got != s.counts {
			t.Errorf("day %d: examined, found, planned, done, failed = %v, "+
				"want %v\n%+v", s.day, got, s.counts, rep)
		}
		var kinds []string
		for _, a := range rep.Actions {
			kinds = append(kinds, a.Kind)
		}
		slices.Sort(kinds)
		if !slices.Equal(kinds, s.kinds) {
			t.Errorf("day %d: planned %v, want %v", s.day, kinds, s.kinds)
		}
		if calls := r.github.takeCalls(); !slices.Equal(calls, s.calls) {
			t.Errorf("day %d: GitHub saw\n  %v\nwant\n  %v", s.day, calls, s.calls)
		}
		var events []string
		events, seq = auditEvents(t, r.store, seq)
		for i := range events {
			events[i] = events[i][:indexSpace(events[i])]
		}
		if !slices.Equal(events, s.events) {
			t.Errorf("day %d: audit\n  %v\nwant\n  %v", s.day, events, s.events)
		}
		r.wantRegistry(t, s.day, at, s.revoked)
	}
}

func indexSpace(s string) int {
	for i, c := range s {
		if c == ' ' {
			return i
		}
	}
	return len(s)
}

// wantRegistry checks the credential, its session and its ledger entry.
func (r *rig) wantRegistry(t *testing.T, day int, at time.Time, revoked bool) {
	t.Helper()
	ctx := context.Background()
	c, err := r.store.GetCredential(ctx, "deploy-bot-pat")
	must(t, err)
	s, err := r.store.GetSession(ctx, "ci-1")
	must(t, err)
	want := store.StatusActive
	if revoked {
		want = store.StatusRevoked
	}
	if c.Status != want || s.Status != want {
		t.Errorf("day %d: credential %s, session %s; want both %s", day,
			c.Status, s.Status, want)
	}
	if revoked && (c.Revocation == nil ||
		c.Revocation.By != "policy:exposed_still_valid") {
		t.Errorf("day %d: revocation = %+v, want by policy:exposed_still_valid",
			day, c.Revocation)
	}
	es, err := r.store.ListExposures(ctx,
		store.ExposureFilter{CredentialID: "deploy-bot-pat"})
	must(t, err)
	if day > 6 {
		return // revoked: no longer swept, the last answer stays
	}
	if len(es) != 1 || es[0].Validity != store.ValidityValid ||
		!es[0].CheckedAt.Equal(at) {
		t.Errorf("day %d: ledger = %+v, want valid as checked at %v", day, es, at)
	}
}
