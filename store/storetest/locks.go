package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

var lockTests = []test{
	{"A lock reads back as it was written", lockRoundTrip},
	{"Locks in force leave out the expired ones", lockInForce},
	{"A lock without an id gets one", lockNoID},
	{"Lifting a lock ends it and keeps it in history with who, when " +
		"and why", lockLift},
	{"Lifting an unknown lock is not found", lockLiftNotFound},
	{"Lifting a lock that is not in force is invalid", lockLiftTwice},
	{"Writing a lifted lock again keeps the lift", lockLiftKept},
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

func lockLift(t *testing.T, s store.Store) {
	must(t, s.PutLock(t.Context(), lock("l1", "alice", 0)))
	must(t, s.PutLock(t.Context(), lock("l2", "bob", 0)))
	lifted, err := s.LiftLock(t.Context(), "l1", "operator:dana",
		"false positive, INC-9", base.Add(time.Minute))
	must(t, err)
	want := normalLock(lock("l1", "alice", 0))
	want.LiftedAt, want.LiftedBy = at(time.Minute), "operator:dana"
	want.LiftReason = "false positive, INC-9"
	equal(t, "lifted lock", lifted, want)
	sameSet(t, "in force before the lift", lockIDs(t, s, base),
		[]string{"l1", "l2"})
	sameSet(t, "in force after the lift",
		lockIDs(t, s, base.Add(time.Hour)), []string{"l2"})
	all, err := s.ListLocks(t.Context(), time.Time{})
	must(t, err)
	equal(t, "history", all, []store.Lock{want,
		normalLock(lock("l2", "bob", 0))})
}

func lockLiftNotFound(t *testing.T, s store.Store) {
	_, err := s.LiftLock(t.Context(), "nothing", "operator:dana", "x", base)
	wantErr(t, err, store.ErrNotFound)
}

func lockLiftTwice(t *testing.T, s store.Store) {
	must(t, s.PutLock(t.Context(), lock("l1", "alice", 0)))
	must(t, s.PutLock(t.Context(), lock("old", "bob", time.Minute)))
	_, err := s.LiftLock(t.Context(), "l1", "operator:dana", "done", base)
	must(t, err)
	_, err = s.LiftLock(t.Context(), "l1", "operator:erin", "again", base)
	wantErr(t, err, store.ErrInvalid)
	if !strings.Contains(err.Error(), "operator:dana") {
		t.Errorf("error %q does not say who lifted it", err)
	}
	_, err = s.LiftLock(t.Context(), "old", "operator:erin", "late",
		base.Add(time.Hour))
	wantErr(t, err, store.ErrInvalid)
}

func lockBadTarget(t *testing.T, s store.Store) {
	l := lock("l1", "alice", 0)
	l.TargetType = "planet"
	wantField(t, s.PutLock(t.Context(), l), "target_type")
	sameSet(t, "locks", lockIDs(t, s, time.Time{}), nil)
}

func lockLiftKept(t *testing.T, s store.Store) {
	must(t, s.PutLock(t.Context(), lock("l1", "alice", 0)))
	_, err := s.LiftLock(t.Context(), "l1", "operator:dana", "cleared", base)
	must(t, err)
	again := lock("l1", "alice", time.Hour)
	must(t, s.PutLock(t.Context(), again))
	all, err := s.ListLocks(t.Context(), time.Time{})
	must(t, err)
	want := normalLock(again)
	want.LiftedAt, want.LiftedBy, want.LiftReason = at(0), "operator:dana",
		"cleared"
	equal(t, "locks", all, []store.Lock{want})
}
