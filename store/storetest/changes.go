package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

var changeTests = []test{
	{"From cursor 0 the changes return the whole registry, a page at a " +
		"time", changesWhole},
	{"A record changed twice after a cursor comes back once, as it is now",
		changesOnce},
	{"With nothing changed the cursor stays and the set is empty",
		changesNone},
	{"A negative page size is invalid", changesBadLimit},
	{"Revocations, a disabled principal and a lock placed and lifted are " +
		"logged in order, with who and why", logOrder},
	{"Revoking what is revoked already logs nothing", logOnce},
	{"Writing a live session again as revoked is logged", logReplace},
	{"Writing an expired session or credential again as revoked is " +
		"logged, as revoking it by an update is", logReplaceExpired},
	{"The log reads from after a sequence number, a page at a time",
		logPaging},
	{"Pruning the log deletes its head up to the first entry to keep, " +
		"never the newest, and says how far it went", logPrune},
}

// changeFixture stores alice with a credential and two sessions, and a
// lock on bob.
func changeFixture(t *testing.T, s store.Store) {
	t.Helper()
	addPrincipal(t, s, "alice")
	addPrincipal(t, s, "bob")
	putCredentials(t, s, awsKey())
	other := webSession()
	other.ID, other.ExternalID = "alice-cli", "102aliceCLI"
	putSessions(t, s, webSession(), other)
	must(t, s.PutLock(t.Context(), lock("l1", "bob", 0)))
}

// changed reads every change after cursor in pages of limit and returns
// the ids seen, by kind, and the final cursor.
func changed(t *testing.T, s store.Store, cursor int64,
	limit int) (map[string][]string, int64) {
	t.Helper()
	got := map[string][]string{}
	for range 100 {
		cs, err := s.ChangedSince(t.Context(), cursor, limit)
		must(t, err)
		if limit > 0 && cs.Len() > limit {
			t.Fatalf("page of %d records, limit %d", cs.Len(), limit)
		}
		got["session"] = append(got["session"], ids(cs.Sessions, sessionID)...)
		got["credential"] = append(got["credential"],
			ids(cs.Credentials, credentialID)...)
		got["principal"] = append(got["principal"],
			ids(cs.Principals, principalID)...)
		got["lock"] = append(got["lock"],
			ids(cs.Locks, func(l store.Lock) string { return l.ID })...)
		if cs.Cursor < cursor {
			t.Fatalf("cursor went back from %d to %d", cursor, cs.Cursor)
		}
		cursor = cs.Cursor
		if !cs.More {
			return got, cursor
		}
	}
	t.Fatal("changes never ended")
	return nil, 0
}

func changesWhole(t *testing.T, s store.Store) {
	changeFixture(t, s)
	got, _ := changed(t, s, 0, 2)
	sameSet(t, "sessions", got["session"], []string{"alice-web", "alice-cli"})
	sameSet(t, "credentials", got["credential"], []string{"alice-aws-key"})
	sameSet(t, "principals", got["principal"], []string{"alice", "bob"})
	sameSet(t, "locks", got["lock"], []string{"l1"})
}

func changesOnce(t *testing.T, s store.Store) {
	changeFixture(t, s)
	_, cursor := changed(t, s, 0, 0)
	revoke(t, s, store.SessionFilter{IDs: []string{"alice-web"}},
		revocation("a1"))
	ses := webSession()
	ses.LastSeenAt = base
	ses.Status, ses.Revocation = store.StatusRevoked,
		&store.Revocation{At: base, By: "operator:kim", Reason: "again"}
	putSessions(t, s, ses)
	cs, err := s.ChangedSince(t.Context(), cursor, 0)
	must(t, err)
	equal(t, "changed sessions", cs.Sessions,
		[]store.Session{normalSession(ses)})
	if cs.Len() != 1 || cs.More || cs.Cursor <= cursor {
		t.Fatalf("change set of %d records, more %v, cursor %d after %d",
			cs.Len(), cs.More, cs.Cursor, cursor)
	}
}

func changesNone(t *testing.T, s store.Store) {
	changeFixture(t, s)
	_, cursor := changed(t, s, 0, 0)
	cs, err := s.ChangedSince(t.Context(), cursor, 0)
	must(t, err)
	if cs.Len() != 0 || cs.More || cs.Cursor != cursor {
		t.Fatalf("change set of %d records, more %v, cursor %d; want "+
			"none at %d", cs.Len(), cs.More, cs.Cursor, cursor)
	}
}

func changesBadLimit(t *testing.T, s store.Store) {
	_, err := s.ChangedSince(t.Context(), 0, -1)
	wantErr(t, err, store.ErrInvalid)
	_, err = s.RevocationLog(t.Context(), 0, -1)
	wantErr(t, err, store.ErrInvalid)
}

// logged reads the whole log after seq.
func logged(t *testing.T, s store.Store, after int64) []store.RevocationEntry {
	t.Helper()
	es, err := s.RevocationLog(t.Context(), after, 0)
	must(t, err)
	return es
}

// withoutSeq is es with Seq cleared, after checking that it increases.
func withoutSeq(t *testing.T, es []store.RevocationEntry) []store.RevocationEntry {
	t.Helper()
	out := make([]store.RevocationEntry, len(es))
	for i, e := range es {
		if i > 0 && e.Seq <= es[i-1].Seq {
			t.Fatalf("seq %d after %d", e.Seq, es[i-1].Seq)
		}
		e.Seq = 0
		out[i] = e
	}
	return out
}

func logOrder(t *testing.T, s store.Store) {
	changeFixture(t, s)
	rev := revocation("a1")
	revoke(t, s, store.SessionFilter{IDs: []string{"alice-web"}}, rev)
	_, _, err := s.RevokeCredential(t.Context(), "alice-aws-key", rev)
	must(t, err)
	_, err = s.SetPrincipalStatus(t.Context(), "alice", "disabled")
	must(t, err)
	_, err = s.LiftLock(t.Context(), "l1", "operator:kim", "cleared",
		base.Add(time.Hour))
	must(t, err)
	es := logged(t, s, 0)
	if len(es) != 5 || es[3].At.IsZero() {
		t.Fatalf("log = %+v, want 5 entries, the disabling with a time", es)
	}
	es[3].At = time.Time{}
	r := normalSession(store.Session{Revocation: &rev}).Revocation
	equal(t, "log", withoutSeq(t, es), []store.RevocationEntry{
		{Type: store.EntryLockPlaced, TargetID: "l1", PrincipalID: "bob",
			At: at(0), By: "policy:ato", Reason: "account takeover",
			LockTargetType: "principal", LockTarget: "bob"},
		{Type: store.EntrySessionRevoked, TargetID: "alice-web",
			PrincipalID: "alice", Provider: "okta",
			ExternalID: "102aliceOKTA", At: r.At, By: r.By,
			Reason: r.Reason, SignalID: "sig-1", ActionID: "a1"},
		{Type: store.EntryCredentialRevoked, TargetID: "alice-aws-key",
			PrincipalID: "alice", Provider: "aws",
			ExternalID: "AKIAALICEDEMO0000001", At: r.At, By: r.By,
			Reason: r.Reason, SignalID: "sig-1", ActionID: "a1"},
		{Type: store.EntryPrincipalDisabled, TargetID: "alice",
			PrincipalID: "alice"},
		{Type: store.EntryLockLifted, TargetID: "l1", PrincipalID: "bob",
			At: at(time.Hour), By: "operator:kim", Reason: "cleared",
			LockTargetType: "principal", LockTarget: "bob"},
	})
}

func logOnce(t *testing.T, s store.Store) {
	changeFixture(t, s)
	rev := revocation("a1")
	revoke(t, s, store.SessionFilter{PrincipalID: "alice"}, rev)
	_, _, err := s.RevokeCredential(t.Context(), "alice-aws-key", rev)
	must(t, err)
	last, err := s.LastRevocationSeq(t.Context())
	must(t, err)
	revoke(t, s, store.SessionFilter{PrincipalID: "alice"}, revocation("a2"))
	_, _, err = s.RevokeCredential(t.Context(), "alice-aws-key", rev)
	must(t, err)
	_, err = s.SetPrincipalStatus(t.Context(), "bob", store.StatusActive)
	must(t, err)
	must(t, s.PutLock(t.Context(), lock("l1", "bob", 0)))
	if es := logged(t, s, last); len(es) != 0 {
		t.Fatalf("logged again: %+v", es)
	}
	if n := len(logged(t, s, 0)); n != 4 {
		t.Fatalf("%d entries, want a lock and three revocations", n)
	}
}

func logReplace(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	putSessions(t, s, webSession())
	ses := webSession()
	ses.Status, ses.Revocation = store.StatusRevoked,
		&store.Revocation{At: base, By: "sync:okta", Reason: "ended"}
	putSessions(t, s, ses)
	putSessions(t, s, ses)
	es := logged(t, s, 0)
	if len(es) != 1 || es[0].Type != store.EntrySessionRevoked ||
		es[0].By != "sync:okta" || !es[0].At.Equal(at(0)) {
		t.Fatalf("log = %+v, want the session revoked by sync:okta once", es)
	}
}

// logReplaceExpired: a sync marks expired what a provider stopped
// listing, which the revocation stream never announces, so a later
// report of its revocation is the stream's only word that it is dead.
func logReplaceExpired(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	ended := store.Revocation{At: base, By: "sync:okta", Reason: "not listed"}
	ses, c := webSession(), awsKey()
	ses.Status, ses.Revocation = store.StatusExpired, &ended
	c.Status, c.Revocation = store.StatusExpired, &ended
	putSessions(t, s, ses)
	putCredentials(t, s, c)
	rev := revocation("")
	ses.Status, ses.Revocation = store.StatusRevoked, &rev
	c.Status, c.Revocation = store.StatusRevoked, &rev
	for range 2 {
		putSessions(t, s, ses)
		putCredentials(t, s, c)
	}
	es := logged(t, s, 0)
	if len(es) != 2 || es[0].Type != store.EntrySessionRevoked ||
		es[1].Type != store.EntryCredentialRevoked ||
		!es[0].At.Equal(at(time.Minute)) || es[1].By != rev.By {
		t.Fatalf("log = %+v, want the session and then the credential "+
			"revoked by %s, once each", es, rev.By)
	}
}

func logPaging(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	for i := range 5 {
		l := lock("", "alice", 0)
		l.CreatedAt = second(i)
		must(t, s.PutLock(t.Context(), l))
	}
	all := logged(t, s, 0)
	last, err := s.LastRevocationSeq(t.Context())
	must(t, err)
	if len(all) != 5 || last != all[4].Seq {
		t.Fatalf("%d entries, last seq %d; want 5, the last %d",
			len(all), last, all[len(all)-1].Seq)
	}
	page, err := s.RevocationLog(t.Context(), all[1].Seq, 2)
	must(t, err)
	equal(t, "page", page, all[2:4])
}

func logPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	addPrincipal(t, s, "alice")
	if through, err := s.RevocationLogPruned(ctx); err != nil || through != 0 {
		t.Fatalf("a log never pruned says pruned through %d, %v", through, err)
	}
	// A lock is logged at its creation time, which need not grow with
	// the seq: the third entry is newer than the fourth.
	for _, sec := range []int{0, 1, 5, 2, 3} {
		l := lock("", "alice", 0)
		l.CreatedAt = second(sec)
		must(t, s.PutLock(ctx, l))
	}
	all := logged(t, s, 0)
	prune := func(before time.Time, deleted int, through int64) {
		t.Helper()
		n, got, err := s.PruneRevocationLog(ctx, before)
		must(t, err)
		stored, err := s.RevocationLogPruned(ctx)
		must(t, err)
		if n != deleted || got != through || stored != through {
			t.Fatalf("pruned before %s: %d deleted, through %d (stored "+
				"%d); want %d through %d", before, n, got, stored, deleted,
				through)
		}
	}
	prune(second(3), 2, all[1].Seq)
	equal(t, "log after the first prune", logged(t, s, 0), all[2:])
	prune(second(3), 0, all[1].Seq)
	prune(second(100), 2, all[3].Seq)
	equal(t, "log after pruning everything", logged(t, s, 0), all[4:])
	prune(second(100), 0, all[3].Seq)
	l := lock("", "alice", 0)
	must(t, s.PutLock(ctx, l))
	if es := logged(t, s, 0); len(es) != 2 || es[1].Seq <= all[4].Seq {
		t.Fatalf("an entry after the prune: %+v; want a seq past %d", es,
			all[4].Seq)
	}
	if _, _, err := s.PruneRevocationLog(ctx, time.Time{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("pruning before the zero time: %v, want ErrInvalid", err)
	}
}
