package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// Bench runs the registry's benchmarks, each on a fresh store from open
// holding one principal, alice, so that the backends are measured by
// the same work.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	for _, bm := range []struct {
		name string
		run  func(*testing.B, store.Store)
	}{
		{"RecordSignal", benchRecordSignal},
		{"ListSessionsByPrincipal", benchListSessionsByPrincipal},
		{"AppendAudit", benchAppendAudit},
		{"PutSession", benchPutSession},
		{"ChangedSinceIdle", benchChangedSinceIdle},
		{"ChangedSinceLoad", benchChangedSinceLoad},
		{"CountActions", benchCountActions},
	} {
		b.Run(bm.name, func(b *testing.B) {
			s := open(b)
			err := s.PutPrincipal(b.Context(), store.Principal{ID: "alice",
				Kind: store.KindHuman})
			if err != nil {
				b.Fatal(err)
			}
			bm.run(b, s)
		})
	}
}

// benchAudit is an audit entry like the engine writes.
func benchAudit(i int) store.AuditEntry {
	return store.AuditEntry{Actor: "engine", Event: "decision",
		Subject: "alice", Details: json.RawMessage(fmt.Sprintf(
			`{"signal_id": "sig-%d", "actions": 2}`, i))}
}

func benchRecordSignal(b *testing.B, s store.Store) {
	signal := json.RawMessage(`{"category": "account_takeover", ` +
		`"subjects": [{"type": "email", "value": "alice@example.com"}]}`)
	i := 0
	for b.Loop() {
		i++
		rec := store.SignalRecord{DedupKey: fmt.Sprint("d", i),
			Format: "okta", ReceivedAt: time.Now(), Signal: signal}
		actions := []store.Action{
			{IdempotencyKey: fmt.Sprint("r", i), Kind: "revoke_sessions",
				TargetType: "principal", TargetID: "alice"},
			{IdempotencyKey: fmt.Sprint("n", i), Kind: "notify",
				TargetType: "principal", TargetID: "alice"},
		}
		_, err := s.RecordSignal(b.Context(), rec, actions,
			[]store.AuditEntry{benchAudit(i), benchAudit(i)})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func benchListSessionsByPrincipal(b *testing.B, s store.Store) {
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(s.PutPrincipal(b.Context(), store.Principal{ID: "bob",
		Kind: store.KindHuman}))
	for i := range 2000 {
		must(s.PutSession(b.Context(), store.Session{
			ID: fmt.Sprint("s", i), PrincipalID: []string{"alice", "bob"}[i%2],
			Provider: "okta", Kind: "browser", CreatedAt: time.Now(),
			Origin: store.Origin{IP: "198.51.100.20", Country: "US"}}))
	}
	for b.Loop() {
		ss, err := s.ListSessions(b.Context(),
			store.SessionFilter{PrincipalID: "alice"})
		must(err)
		if len(ss) != 1000 {
			b.Fatalf("sessions = %d, want 1000", len(ss))
		}
	}
}

func benchAppendAudit(b *testing.B, s store.Store) {
	i := 0
	for b.Loop() {
		i++
		if err := s.AppendAudit(b.Context(), benchAudit(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// benchPutSession writes new sessions: the cost of a registry write
// with the change feed's triggers.
func benchPutSession(b *testing.B, s store.Store) {
	i := 0
	for b.Loop() {
		i++
		err := s.PutSession(b.Context(), store.Session{
			ID: fmt.Sprint("s", i), PrincipalID: "alice", Provider: "okta",
			Origin: store.Origin{IP: "198.51.100.20"}})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// benchChangedSinceIdle is what the introspection index pays every
// second when nothing changed, over a registry of 10000 sessions.
func benchChangedSinceIdle(b *testing.B, s store.Store) {
	for i := range 10000 {
		err := s.PutSession(b.Context(), store.Session{
			ID: fmt.Sprint("s", i), PrincipalID: "alice"})
		if err != nil {
			b.Fatal(err)
		}
	}
	cs, err := s.ChangedSince(b.Context(), 0, 20000)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.ChangedSince(b.Context(), cs.Cursor, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// benchChangedSinceLoad reads a registry of 10000 sessions from
// cursor 0 in pages of 5000, as the index does when it starts.
func benchChangedSinceLoad(b *testing.B, s store.Store) {
	for i := range 10000 {
		err := s.PutSession(b.Context(), store.Session{
			ID: fmt.Sprint("s", i), PrincipalID: "alice"})
		if err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		var cursor int64
		for {
			cs, err := s.ChangedSince(b.Context(), cursor, 5000)
			if err != nil {
				b.Fatal(err)
			}
			cursor = cs.Cursor
			if !cs.More {
				break
			}
		}
	}
}

// outboxStore holds signals*per actions, one in a hundred pending and
// the rest done, as a registry does after months of work.
func outboxStore(b *testing.B, s store.Store, signals, per int) {
	b.Helper()
	kinds := []string{"revoke_sessions", "revoke_credential", "notify"}
	for i := range signals {
		rec := store.SignalRecord{DedupKey: fmt.Sprint("d", i),
			Format: "okta", ReceivedAt: time.Now()}
		actions := make([]store.Action, per)
		for j := range actions {
			actions[j] = store.Action{IdempotencyKey: fmt.Sprint(i, "/", j),
				Kind: kinds[j%len(kinds)], TargetType: "principal",
				TargetID: "alice", State: store.ActionDone}
			if j%100 == 0 {
				actions[j].State = store.ActionPending
			}
		}
		if _, err := s.RecordSignal(b.Context(), rec, actions, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCountActions is the query behind killswitch_outbox_depth,
// over 100,000 actions of which 1,000 wait.
func benchCountActions(b *testing.B, s store.Store) {
	outboxStore(b, s, 100, 1000)
	for b.Loop() {
		counts, err := s.CountActions(b.Context(), store.ActionPending,
			store.ActionRunning, store.ActionAwaitingApproval,
			store.ActionFailed)
		if err != nil || len(counts) != 3 {
			b.Fatalf("counts %v, %v", counts, err)
		}
	}
}
