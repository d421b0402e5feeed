package storetest

import (
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
)

var coalesceTests = []test{
	{"An action planned while one with its coalesce key is pending is " +
		"stored skipped, naming that one", coalescePending},
	{"An action is not coalesced into one that has started", coalesceNotStarted},
	{"A coalesced action uses no budget and trips none", coalesceNoBudget},
	{"An action held for approval is coalesced into one held or pending " +
		"with its key; a pending one never waits for a held one",
		coalesceHeld},
}

// heldKeyed is keyed, held for approval.
func heldKeyed(id, key string) store.Action {
	a := keyed(id, key)
	a.State = store.ActionAwaitingApproval
	return a
}

func coalesceHeld(t *testing.T, s store.Store) {
	states, _ := guarded(t, s, "d1", base, nil, heldKeyed("h1", "k"))
	equal(t, "first", states["h1"], store.ActionAwaitingApproval)
	states, _ = guarded(t, s, "d2", base, nil, heldKeyed("h2", "k"),
		keyed("p1", "k"))
	equal(t, "second signal", states, map[string]string{
		"h2": store.ActionSkipped, "p1": store.ActionPending})
	wantCoalesced(t, s, "h2", "h1")
	states, _ = guarded(t, s, "d3", base, nil, heldKeyed("h3", "j"))
	equal(t, "held with another key", states["h3"], store.ActionAwaitingApproval)
	guarded(t, s, "d4", base, nil, keyed("p2", "j2"))
	states, _ = guarded(t, s, "d5", base, nil, heldKeyed("h4", "j2"))
	equal(t, "held while one is pending", states["h4"], store.ActionSkipped)
	wantCoalesced(t, s, "h4", "p2")
}

// keyed is saRevocation with a coalesce key.
func keyed(id, key string) store.Action {
	a := saRevocation(id, 0)
	a.CoalesceKey = key
	return a
}

func wantCoalesced(t *testing.T, s store.Store, id, into string) {
	t.Helper()
	a := getAction(t, s, id)
	if a.State != store.ActionSkipped || !strings.Contains(a.LastError, into) {
		t.Errorf("%s is %s (%q), want skipped naming %s", id, a.State,
			a.LastError, into)
	}
}

func coalescePending(t *testing.T, s store.Store) {
	states, _ := guarded(t, s, "d1", base, nil, keyed("a1", "k"))
	equal(t, "first", states["a1"], store.ActionPending)
	equal(t, "key read back", getAction(t, s, "a1").CoalesceKey, "k")
	states, _ = guarded(t, s, "d2", base, nil, keyed("a2", "k"),
		keyed("b1", "other"), keyed("b2", "other"), keyed("n1", ""),
		keyed("n2", ""))
	equal(t, "second signal", states, map[string]string{
		"a2": store.ActionSkipped, "b1": store.ActionPending,
		"b2": store.ActionSkipped, "n1": store.ActionPending,
		"n2": store.ActionPending})
	wantCoalesced(t, s, "a2", "a1")
	wantCoalesced(t, s, "b2", "b1")
}

func coalesceNotStarted(t *testing.T, s store.Store) {
	guarded(t, s, "d1", base, nil, keyed("a1", "k"))
	claimed(t, s, "exec-1", base, 10)
	states, _ := guarded(t, s, "d2", base, nil, keyed("a2", "k"))
	equal(t, "after the first started", states["a2"], store.ActionPending)
	states, _ = guarded(t, s, "d3", base, nil, keyed("a3", "k"))
	equal(t, "while the second waits", states["a3"], store.ActionSkipped)
	wantCoalesced(t, s, "a3", "a2")
}

func coalesceNoBudget(t *testing.T, s store.Store) {
	budget := []store.Budget{perHour(1)}
	states, trips := guarded(t, s, "d1", base, budget, keyed("a1", "k"),
		keyed("a2", "k"))
	equal(t, "states", states, map[string]string{
		"a1": store.ActionPending, "a2": store.ActionSkipped})
	equal(t, "trips", len(trips), 0)
	states, trips = guarded(t, s, "d2", base, budget, keyed("a3", "k"))
	equal(t, "a storm's next", states["a3"], store.ActionSkipped)
	equal(t, "its trips", len(trips), 0)
}
