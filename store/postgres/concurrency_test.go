package postgres_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/postgres/pgtest"
)

// instances opens n Stores on one fresh registry, as n killswitch
// instances sharing a database do: each its own connection pool.
func instances(t *testing.T, n int) []*postgres.Store {
	t.Helper()
	url := pgtest.Schema(t)
	out := make([]*postgres.Store, n)
	for i := range out {
		s, err := postgres.Open(t.Context(), url)
		must(t, err)
		t.Cleanup(func() { s.Close() })
		out[i] = s
	}
	return out
}

// TestTwoInstancesExecuteEachActionOnce: two instances record the same
// signals (a redelivery reaching both), then race to claim and execute
// the outbox. Each signal is recorded once and each action executed
// once.
func TestTwoInstancesExecuteEachActionOnce(t *testing.T) {
	race(t, false)
}

// TestTwoInstancesExecuteEachActionOnceOnOneChain: as above, with every
// finished action audited and both instances appending audit entries of
// their own meanwhile: the trail is one unbroken chain holding every
// entry.
func TestTwoInstancesExecuteEachActionOnceOnOneChain(t *testing.T) {
	race(t, true)
}

// race runs two instances on one registry as the tests above say; with
// audit, they append to the trail as they go.
func race(t *testing.T, audit bool) {
	const signals, perSignal, appends = 40, 2, 30
	stores := instances(t, 2)
	must(t, stores[0].PutPrincipal(t.Context(), store.Principal{
		ID: "alice", Kind: store.KindHuman}))

	recorded := recordEverywhere(t, stores, signals, perSignal)
	if recorded != signals {
		t.Fatalf("signals recorded = %d, want %d: a dedup key was "+
			"recorded twice or not at all", recorded, signals)
	}

	var mu sync.Mutex
	executed := map[string][]int{}
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			execute(t, s, fmt.Sprint("instance-", i), audit, func(id string) {
				mu.Lock()
				executed[id] = append(executed[id], i)
				mu.Unlock()
			})
		})
		wg.Go(func() {
			if !audit {
				return
			}
			for j := range appends {
				if err := s.AppendAudit(t.Context(),
					entries(fmt.Sprint("instance-", i, "-", j), 2)...); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	if len(executed) != signals*perSignal {
		t.Errorf("actions executed = %d, want %d", len(executed),
			signals*perSignal)
	}
	for id, by := range executed {
		if len(by) != 1 {
			t.Errorf("action %s executed %d times, by instances %v",
				id, len(by), by)
		}
	}
	if audit {
		// Each signal appended 1 entry, each action 1 when finished,
		// and each instance appends of 2.
		wantChain(t, stores[1], signals+signals*perSignal+2*appends*2)
	} else {
		wantChain(t, stores[1], signals)
	}
}

// recordEverywhere records the same signals through every store at
// once and returns how many records reported recorded.
func recordEverywhere(t *testing.T, stores []*postgres.Store,
	signals, perSignal int) int {
	var mu sync.Mutex
	recorded := 0
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			for i := range signals {
				ok, err := s.RecordSignal(t.Context(), signalRecord(i),
					signalActions(i, perSignal), []store.AuditEntry{{
						Actor: "engine", Event: "decision",
						Subject: "alice"}})
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					recorded++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return recorded
}

// signalRecord is the i-th signal; its dedup key is the same whichever
// instance records it.
func signalRecord(i int) store.SignalRecord {
	return store.SignalRecord{DedupKey: fmt.Sprint("okta:evt-", i),
		Format: "okta", ReceivedAt: time.Now(),
		Signal: json.RawMessage(`{"category": "account_takeover"}`)}
}

// signalActions are the actions the i-th signal asks for.
func signalActions(i, n int) []store.Action {
	out := make([]store.Action, n)
	for j := range out {
		out[j] = store.Action{IdempotencyKey: fmt.Sprint("evt-", i, "/", j),
			Kind: "revoke_sessions", TargetType: "principal",
			TargetID: "alice"}
	}
	return out
}

// execute claims and finishes actions as an executor does, a few at a
// time, until none is left, calling run for each it claimed; with audit,
// each finish appends an entry.
func execute(t *testing.T, s *postgres.Store, owner string, audit bool,
	run func(string)) {
	for {
		claimed, err := s.ClaimActions(t.Context(), owner, time.Now(),
			time.Hour, 3)
		if err != nil {
			t.Error(err)
			return
		}
		if len(claimed) == 0 {
			return
		}
		for _, a := range claimed {
			run(a.ID)
			var entries []store.AuditEntry
			if audit {
				entries = []store.AuditEntry{{Actor: owner,
					Event: "action.done", Subject: a.ID}}
			}
			err := s.FinishAction(t.Context(), a.ID, store.ActionDone,
				json.RawMessage(`{"revoked": 1}`), "", entries)
			if err != nil {
				t.Error(err)
				return
			}
		}
	}
}
