package storetest

import (
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

var statsTests = []test{
	{"A store that is open answers a ping", statsPing},
	{"Actions are counted by state and kind, in the states asked only",
		statsCountActions},
	{"Counting no states counts nothing", statsCountNothing},
}

func statsPing(t *testing.T, s store.Store) {
	must(t, s.Ping(t.Context()))
}

func statsCountActions(t *testing.T, s store.Store) {
	as := numbered(5)
	as[3].Kind, as[4].Kind = "lock", "lock"
	as[4].State = store.ActionAwaitingApproval
	addActions(t, s, as...)
	claimed(t, s, "x", base.Add(time.Hour), 1)
	got, err := s.CountActions(t.Context(), store.ActionPending,
		store.ActionRunning, store.ActionAwaitingApproval, store.ActionFailed)
	must(t, err)
	equal(t, "counts", got, []store.ActionCount{
		{State: store.ActionAwaitingApproval, Kind: "lock", Count: 1},
		{State: store.ActionPending, Kind: "lock", Count: 1},
		{State: store.ActionPending, Kind: "revoke_sessions", Count: 2},
		{State: store.ActionRunning, Kind: "revoke_sessions", Count: 1},
	})
	got, err = s.CountActions(t.Context(), store.ActionRunning)
	must(t, err)
	equal(t, "running only", got, []store.ActionCount{
		{State: store.ActionRunning, Kind: "revoke_sessions", Count: 1}})
}

func statsCountNothing(t *testing.T, s store.Store) {
	addActions(t, s, numbered(2)...)
	got, err := s.CountActions(t.Context())
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("got %v", got)
	}
}
