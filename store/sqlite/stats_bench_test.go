package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// outboxStore holds signals*per actions, one in a hundred pending and
// the rest done, as a registry does after months of work.
func outboxStore(b *testing.B, signals, per int) *sqlite.Store {
	b.Helper()
	s := benchStore(b)
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
	return s
}

// BenchmarkCountActions is the query behind killswitch_outbox_depth,
// over 100,000 actions of which 1,000 wait.
func BenchmarkCountActions(b *testing.B) {
	s := outboxStore(b, 100, 1000)
	for b.Loop() {
		counts, err := s.CountActions(b.Context(), store.ActionPending,
			store.ActionRunning, store.ActionAwaitingApproval,
			store.ActionFailed)
		if err != nil || len(counts) != 3 {
			b.Fatalf("counts %v, %v", counts, err)
		}
	}
}
