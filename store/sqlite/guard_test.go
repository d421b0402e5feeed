package sqlite_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// TestTwoProcessesOnOneFileShareOneBudget records signals from two
// handles on one file, as two engines would, all at once: the budget
// lets exactly its limit through. Counting outside the write
// transaction would let both handles take the last units.
func TestTwoProcessesOnOneFileShareOneBudget(t *testing.T) {
	first, path := openFile(t)
	second, err := sqlite.Open(t.Context(), path)
	must(t, err)
	defer second.Close()
	const limit, perHandle = 5, 12
	budget := []store.Budget{{Name: "global", Limit: limit,
		Window: time.Hour}}
	now := time.Now()
	var wg sync.WaitGroup
	for h, s := range []*sqlite.Store{first, second} {
		for i := range perHandle {
			wg.Go(func() {
				key := fmt.Sprintf("h%d-%d", h, i)
				rec := store.SignalRecord{ID: "sig-" + key, DedupKey: key,
					Signal: json.RawMessage(`{}`)}
				a := store.Action{ID: "act-" + key, IdempotencyKey: key,
					Kind: "revoke_sessions", TargetType: "principal",
					TargetID: "p-" + key, State: store.ActionPending}
				_, _, _, err := s.RecordGuarded(t.Context(), rec,
					[]store.Action{a}, budget, now, nil)
				if err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	pending, err := first.ListActions(t.Context(),
		store.ActionFilter{State: store.ActionPending})
	must(t, err)
	held, err := first.ListActions(t.Context(),
		store.ActionFilter{State: store.ActionAwaitingApproval})
	must(t, err)
	if len(pending) != limit || len(held) != 2*perHandle-limit {
		t.Fatalf("pending %d and held %d, want %d and %d", len(pending),
			len(held), limit, 2*perHandle-limit)
	}
}
