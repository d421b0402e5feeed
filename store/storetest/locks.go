package storetest

import (
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

var lockTests = []test{
	{"A lock reads back as it was written", lockRoundTrip},
	{"Locks in force leave out the expired ones", lockInForce},
	{"A lock without an id gets one", lockNoID},
	{"Removing a lock lifts it", lockRemove},
	{"Removing an unknown lock is not found", lockRemoveNotFound},
	{"A lock on an unknown kind of target is invalid", lockBadTarget},
}

// lock is a lock on principal target that expires after d (never when
// d is 0).
func lock(id, target string, d time.Duration) store.Lock {
	l := store.Lock{ID: id, TargetType: "principal", Target: target,
		Reason: "account takeover", CreatedBy: "policy:ato",
		CreatedAt: base}
	if d != 0 {
		l.ExpiresAt = base.Add(d)
	}
	return l
}

// normalLock is l with its times as a store keeps them.
func normalLock(l store.Lock) store.Lock {
	l.CreatedAt = store.NormalizeTime(l.CreatedAt)
	l.ExpiresAt = store.NormalizeTime(l.ExpiresAt)
	return l
}

// lockIDs lists the locks in force at now.
func lockIDs(t *testing.T, s store.Store, now time.Time) []string {
	t.Helper()
	ls, err := s.ListLocks(t.Context(), now)
	must(t, err)
	return ids(ls, func(l store.Lock) string { return l.ID })
}

func lockRoundTrip(t *testing.T, s store.Store) {
	l := lock("l1", "alice", time.Hour)
	must(t, s.PutLock(t.Context(), l))
	got, err := s.ListLocks(t.Context(), time.Time{})
	must(t, err)
	equal(t, "locks", got, []store.Lock{normalLock(l)})
}

func lockInForce(t *testing.T, s store.Store) {
	for _, l := range []store.Lock{lock("soon", "alice", time.Hour),
		lock("gone", "bob", -time.Hour), lock("forever", "carol", 0)} {
		must(t, s.PutLock(t.Context(), l))
	}
	sameSet(t, "in force now", lockIDs(t, s, base),
		[]string{"soon", "forever"})
	sameSet(t, "in force in two hours", lockIDs(t, s, base.Add(2*time.Hour)),
		[]string{"forever"})
	sameSet(t, "in force as it expires", lockIDs(t, s, base.Add(time.Hour)),
		[]string{"forever"})
	sameSet(t, "all", lockIDs(t, s, time.Time{}),
		[]string{"soon", "gone", "forever"})
}

func lockNoID(t *testing.T, s store.Store) {
	must(t, s.PutLock(t.Context(), lock("", "alice", 0)))
	got := lockIDs(t, s, base)
	if len(got) != 1 || got[0] == "" {
		t.Fatalf("locks = %q, want one with an id", got)
	}
}

func lockRemove(t *testing.T, s store.Store) {
	must(t, s.PutLock(t.Context(), lock("l1", "alice", 0)))
	must(t, s.PutLock(t.Context(), lock("l2", "bob", 0)))
	must(t, s.RemoveLock(t.Context(), "l1"))
	sameSet(t, "locks", lockIDs(t, s, time.Time{}), []string{"l2"})
}

func lockRemoveNotFound(t *testing.T, s store.Store) {
	wantErr(t, s.RemoveLock(t.Context(), "nothing"), store.ErrNotFound)
}

func lockBadTarget(t *testing.T, s store.Store) {
	l := lock("l1", "alice", 0)
	l.TargetType = "planet"
	wantField(t, s.PutLock(t.Context(), l), "target_type")
	sameSet(t, "locks", lockIDs(t, s, time.Time{}), nil)
}
