package postgres_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/postgres/pgtest"
)

// benchStore opens a registry in a fresh schema with one principal.
func benchStore(b *testing.B) *postgres.Store {
	b.Helper()
	s, err := postgres.Open(b.Context(), pgtest.Schema(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	err = s.PutPrincipal(b.Context(), store.Principal{ID: "alice",
		Kind: store.KindHuman})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchAudit is an audit entry like the engine writes.
func benchAudit(i int) store.AuditEntry {
	return store.AuditEntry{Actor: "engine", Event: "decision",
		Subject: "alice", Details: json.RawMessage(fmt.Sprintf(
			`{"signal_id": "sig-%d", "actions": 2}`, i))}
}

func BenchmarkRecordSignal(b *testing.B) {
	s := benchStore(b)
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

func BenchmarkListSessionsByPrincipal(b *testing.B) {
	s := benchStore(b)
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

func BenchmarkAppendAudit(b *testing.B) {
	s := benchStore(b)
	i := 0
	for b.Loop() {
		i++
		if err := s.AppendAudit(b.Context(), benchAudit(i)); err != nil {
			b.Fatal(err)
		}
	}
}
