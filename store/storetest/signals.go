package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

var signalTests = []test{
	{"A recorded signal reads back as it was written", signalRoundTrip},
	{"Recording a signal stores its actions and audit entries",
		signalWithActions},
	{"Recording the same dedup key twice writes nothing the second time",
		signalDedup},
	{"An action whose idempotency key exists is not inserted again",
		signalIdempotency},
	{"An unknown signal is not found", signalNotFound},
	{"Signals are listed newest first up to the limit", signalList},
	{"A signal without a dedup key is invalid", signalNoDedupKey},
	{"A signal that is not valid JSON is invalid", signalBadJSON},
	{"An action without an idempotency key is invalid, and nothing is " +
		"recorded", signalBadAction},
}

// signal is a processed signal with nested JSON in it.
func signal(id, dedup string) store.SignalRecord {
	return store.SignalRecord{ID: id, DedupKey: dedup, Format: "okta",
		Category: "account_takeover", Severity: "high",
		Time: base.Add(-time.Minute), ReceivedAt: base,
		PolicyRevision: "rev-7",
		Signal: json.RawMessage(`{"subjects": [{"type": "email", ` +
			`"value": "alice@example.com"}], "raw": {"a": [1, 2.5, null, ` +
			`{"b": "ü"}]}}`),
		Decision: json.RawMessage(`{"actions":[{"kind":"revoke_sessions"}]}`)}
}

// action is a pending revoke_sessions action with idempotency key key.
func action(id, key string) store.Action {
	return store.Action{ID: id, IdempotencyKey: key,
		Kind: "revoke_sessions", TargetType: "principal", TargetID: "alice",
		Scope: "all", Reason: "impossible travel",
		Policy: "killswitch.response.travel", PolicyRevision: "rev-7",
		Params:    json.RawMessage(`{"providers": ["okta", "aws"]}`),
		State:     store.ActionPending,
		CreatedAt: base, UpdatedAt: base}
}

// entry is an audit entry about subject.
func entry(subject string, n int) store.AuditEntry {
	return store.AuditEntry{Time: base, Actor: "engine", Event: "decision",
		Subject: subject, Details: json.RawMessage(fmt.Sprintf(`{"n": %d}`, n))}
}

// record records a signal and fails the test on an error.
func record(t *testing.T, s store.Store, rec store.SignalRecord,
	as []store.Action, es ...store.AuditEntry) bool {
	t.Helper()
	ok, err := s.RecordSignal(t.Context(), rec, as, es)
	must(t, err)
	return ok
}

// counts is how many actions and audit entries a store holds.
func counts(t *testing.T, s store.Store) [2]int {
	t.Helper()
	as, err := s.ListActions(t.Context(), store.ActionFilter{})
	must(t, err)
	es, err := s.ListAudit(t.Context(), store.AuditFilter{})
	must(t, err)
	return [2]int{len(as), len(es)}
}

func signalRoundTrip(t *testing.T, s store.Store) {
	rec := signal("sig-1", "okta:evt-1")
	if !record(t, s, rec, nil) {
		t.Fatal("a new signal was not recorded")
	}
	got, err := s.GetSignal(t.Context(), "sig-1")
	must(t, err)
	rec.Time, rec.ReceivedAt = at(-time.Minute), at(0)
	equal(t, "signal", got, rec)
}

func signalWithActions(t *testing.T, s store.Store) {
	a := action("", "k1")
	a.SignalID, a.State, a.CreatedAt, a.UpdatedAt = "", "", time.Time{},
		time.Time{}
	record(t, s, signal("sig-1", "d1"), []store.Action{a, action("a2", "k2")},
		entry("alice", 1), entry("alice", 2))
	got, err := s.ListActions(t.Context(), store.ActionFilter{SignalID: "sig-1"})
	must(t, err)
	if len(got) != 2 {
		t.Fatalf("actions of the signal = %d, want 2", len(got))
	}
	for _, a := range got {
		if a.ID == "" || a.State != store.ActionPending || a.CreatedAt.IsZero() {
			t.Errorf("action %+v: want an id, pending, a created time", a)
		}
	}
	equal(t, "actions and audit entries", counts(t, s), [2]int{2, 2})
}

func signalDedup(t *testing.T, s store.Store) {
	record(t, s, signal("sig-1", "d1"), []store.Action{action("a1", "k1")},
		entry("alice", 1))
	if record(t, s, signal("sig-2", "d1"), []store.Action{action("a2", "k2")},
		entry("alice", 2)) {
		t.Fatal("a signal with a recorded dedup key was recorded again")
	}
	_, err := s.GetSignal(t.Context(), "sig-2")
	wantErr(t, err, store.ErrNotFound)
	equal(t, "actions and audit entries", counts(t, s), [2]int{1, 1})
}

func signalIdempotency(t *testing.T, s store.Store) {
	record(t, s, signal("sig-1", "d1"), []store.Action{action("a1", "k1")})
	again := action("a9", "k1")
	again.Reason = "a second opinion"
	if !record(t, s, signal("sig-2", "d2"),
		[]store.Action{again, action("a2", "k2")}) {
		t.Fatal("a signal with a new dedup key was not recorded")
	}
	got, err := s.ListActions(t.Context(), store.ActionFilter{})
	must(t, err)
	sameSet(t, "actions", ids(got, actionID), []string{"a1", "a2"})
	a1, err := s.GetAction(t.Context(), "a1")
	must(t, err)
	equal(t, "first action's reason", a1.Reason, "impossible travel")
}

func signalNotFound(t *testing.T, s store.Store) {
	_, err := s.GetSignal(t.Context(), "nothing")
	wantErr(t, err, store.ErrNotFound)
}

func signalList(t *testing.T, s store.Store) {
	for i := 1; i <= 3; i++ {
		rec := signal(fmt.Sprintf("sig-%d", i), fmt.Sprintf("d%d", i))
		rec.ReceivedAt = base.Add(time.Duration(i) * time.Second)
		record(t, s, rec, nil)
	}
	id := func(r store.SignalRecord) string { return r.ID }
	all, err := s.ListSignals(t.Context(), 0)
	must(t, err)
	equal(t, "all signals", ids(all, id), []string{"sig-3", "sig-2", "sig-1"})
	two, err := s.ListSignals(t.Context(), 2)
	must(t, err)
	equal(t, "two signals", ids(two, id), []string{"sig-3", "sig-2"})
}

func signalNoDedupKey(t *testing.T, s store.Store) {
	_, err := s.RecordSignal(t.Context(), signal("sig-1", ""), nil, nil)
	wantField(t, err, "dedup_key")
}

func signalBadJSON(t *testing.T, s store.Store) {
	rec := signal("sig-1", "d1")
	rec.Signal = json.RawMessage(`{"truncated": `)
	_, err := s.RecordSignal(t.Context(), rec, nil, nil)
	wantErr(t, err, store.ErrInvalid)
}

func signalBadAction(t *testing.T, s store.Store) {
	_, err := s.RecordSignal(t.Context(), signal("sig-1", "d1"),
		[]store.Action{action("a1", "k1"), action("a2", "")},
		[]store.AuditEntry{entry("alice", 1)})
	wantField(t, err, "idempotency_key")
	_, err = s.GetSignal(t.Context(), "sig-1")
	wantErr(t, err, store.ErrNotFound)
	equal(t, "actions and audit entries", counts(t, s), [2]int{0, 0})
}
