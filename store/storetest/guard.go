package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// guardTests pin down locks that refuse new sessions and credentials,
// blast-radius budgets and approvals.
var guardTests = []test{
	{"A lock in force refuses a new session of its principal, naming " +
		"the lock", lockRefusesSession},
	{"Locks on a credential, a device and an origin prefix refuse the " +
		"sessions that use them", lockRefusesByTarget},
	{"A lock refuses neither refreshing a live session nor ending one",
		lockKeepsLiveSessions},
	{"An expired or lifted lock refuses nothing", lockOverRefusesNothing},
	{"An origin lock that names no address, every address or an " +
		"address no origin has is refused naming its target",
		lockOriginInvalid},
	{"A lock in force refuses a new credential of its principal",
		lockRefusesCredential},
	{"LockedBy names the locks in force that cover a session",
		lockedByNames},
	{"A budget holds for approval the actions past its limit in its " +
		"window", budgetHolds},
	{"A budget counts only the actions of its kind, policy and " +
		"principal kind", budgetNarrows},
	{"Held, skipped and rejected actions do not use a budget",
		budgetSkipsHeld},
	{"A redelivered signal trips no budget and writes nothing",
		budgetDuplicate},
	{"Approving an action makes it runnable, audited in the same write",
		approvalApprove},
	{"Rejecting an action skips it with the operator's reason",
		approvalReject},
	{"Approving twice, or approving a rejected action, names the " +
		"earlier verdict", approvalTwice},
	{"Approving an action that was never held is an error",
		approvalNotHeld},
	{"Expired approvals run or are dropped as the action says",
		approvalExpire},
	{"A verdict given at or after the approval deadline decides " +
		"nothing; the action's on-timeout does", approvalPastDeadline},
	{"An approval timing out to execute past a budget waits for a " +
		"person, and one let run counts from its verdict",
		approvalExpireUnderBudget},
}

// soon is a lock on target of type typ that is in force for the next
// hour of the real clock, which PutSession reads.
func soon(id, typ, target string) store.Lock {
	return store.Lock{ID: id, TargetType: typ, Target: target,
		Reason: "account takeover INC-7", CreatedBy: "operator:dana",
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
}

// wantLocked fails the test unless err is a *store.LockedError of lock id
// whose message names the lock and its reason.
func wantLocked(t *testing.T, err error, id string) {
	t.Helper()
	wantErr(t, err, store.ErrLocked)
	var le *store.LockedError
	if !errors.As(err, &le) || le.Lock.ID != id {
		t.Fatalf("error %v: want a *store.LockedError of lock %s", err, id)
	}
	for _, w := range []string{id, le.Lock.Reason} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func lockRefusesSession(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	must(t, s.PutLock(t.Context(), soon("l1", "principal", "alice")))
	err := s.PutSession(t.Context(), webSession())
	wantLocked(t, err, "l1")
	_, err = s.GetSession(t.Context(), "alice-web")
	wantErr(t, err, store.ErrNotFound)
}

func lockRefusesByTarget(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	cases := []struct {
		lock store.Lock
		edit func(*store.Session)
	}{
		{soon("by-cred", "credential", "alice-password"), nil},
		{soon("by-device", "device", "macbook"), nil},
		{soon("by-prefix", "origin", "198.51.100.0/24"), nil},
		{soon("by-ip", "origin", "2001:db8::7"),
			func(ses *store.Session) { ses.Origin.IP = "2001:db8::7" }},
	}
	for _, c := range cases {
		must(t, s.PutLock(t.Context(), c.lock))
		ses := webSession()
		if c.edit != nil {
			c.edit(&ses)
		}
		wantLocked(t, s.PutSession(t.Context(), ses), c.lock.ID)
		_, err := s.LiftLock(t.Context(), c.lock.ID, "operator:dana",
			"next case", time.Now())
		must(t, err)
	}
	ses := webSession()
	ses.Origin.IP = "198.51.101.1"
	must(t, s.PutLock(t.Context(), soon("other-net", "origin",
		"198.51.100.0/24")))
	must(t, s.PutSession(t.Context(), ses))
}

func lockOriginInvalid(t *testing.T, s store.Store) {
	for _, target := range []string{"garbage", "0.0.0.0/0", "::/0",
		"0.0.0.0", "::", "fe80::1%eth0", "::ffff:198.51.100.0/120",
		"198.51.100.0/33",
		// Bits past the prefix: the whole network, or the one address?
		"198.51.100.7/24", "2001:db8::1/32"} {
		err := s.PutLock(t.Context(), soon("bad", "origin", target))
		wantField(t, err, "target")
	}
	ls, err := s.ListLocks(t.Context(), time.Time{})
	must(t, err)
	if len(ls) != 0 {
		t.Fatalf("locks stored: %+v, want none", ls)
	}
}

func lockKeepsLiveSessions(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	putSessions(t, s, webSession())
	must(t, s.PutLock(t.Context(), soon("l1", "principal", "alice")))
	ses := webSession()
	ses.LastSeenAt = base
	must(t, s.PutSession(t.Context(), ses))
	ses.Status = store.StatusExpired
	must(t, s.PutSession(t.Context(), ses))
	ses.Status = store.StatusActive
	wantLocked(t, s.PutSession(t.Context(), ses), "l1")
}

func lockOverRefusesNothing(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	old := soon("old", "principal", "alice")
	old.CreatedAt, old.ExpiresAt = time.Now().Add(-2*time.Hour),
		time.Now().Add(-time.Hour)
	must(t, s.PutLock(t.Context(), old))
	must(t, s.PutLock(t.Context(), soon("lifted", "principal", "alice")))
	_, err := s.LiftLock(t.Context(), "lifted", "operator:dana", "cleared",
		time.Time{})
	must(t, err)
	must(t, s.PutSession(t.Context(), webSession()))
	c := awsKey()
	c.PrincipalID = "alice"
	putCredentials(t, s, c)
}

func lockRefusesCredential(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	must(t, s.PutLock(t.Context(), soon("l1", "principal", "alice")))
	wantLocked(t, s.PutCredential(t.Context(), awsKey()), "l1")
	revoked := awsKey()
	revoked.Status = store.StatusRevoked
	must(t, s.PutCredential(t.Context(), revoked))
}

func lockedByNames(t *testing.T, s store.Store) {
	for _, l := range []store.Lock{soon("p", "principal", "alice"),
		soon("d", "device", "macbook"), soon("x", "principal", "bob"),
		soon("o", "origin", "198.51.100.20")} {
		must(t, s.PutLock(t.Context(), l))
	}
	q := store.SessionLockQuery(webSession())
	got, err := s.LockedBy(t.Context(), q, time.Now())
	must(t, err)
	sameSet(t, "locks", ids(got, func(l store.Lock) string { return l.ID }),
		[]string{"p", "d", "o"})
	later, err := s.LockedBy(t.Context(), q, time.Now().Add(2*time.Hour))
	must(t, err)
	equal(t, "locks after they expire", len(later), 0)
}

// saRevocation is a pending revoke_credential action of a service
// account, created at the given offset from base.
func saRevocation(id string, d time.Duration) store.Action {
	a := action(id, "key-"+id)
	a.Kind, a.TargetType, a.TargetID = "revoke_credential", "credential",
		"cred-"+id
	a.PrincipalKind, a.Policy = store.KindServiceAccount, "exposure"
	a.CreatedAt, a.UpdatedAt = base.Add(d), base.Add(d)
	return a
}

// perHour is a budget of limit service-account credential revocations
// an hour.
func perHour(limit int) store.Budget {
	return store.Budget{Name: "sa-revocations", Limit: limit,
		Window: time.Hour, Kind: "revoke_credential",
		PrincipalKind: store.KindServiceAccount}
}

// guarded records a signal under budgets at now and returns the stored
// actions' states by id and the trips.
func guarded(t *testing.T, s store.Store, dedup string, now time.Time,
	budgets []store.Budget, as ...store.Action) (map[string]string, []store.Trip) {
	t.Helper()
	var seen []store.Action
	ok, stored, trips, err := s.RecordGuarded(t.Context(),
		signal("sig-"+dedup, dedup), as, budgets, now,
		func(as []store.Action, _ []store.Trip) []store.AuditEntry {
			seen = as
			return []store.AuditEntry{entry("sig-"+dedup, len(as))}
		})
	must(t, err)
	if !ok {
		return nil, trips
	}
	states := map[string]string{}
	for i, a := range stored {
		states[a.ID] = a.State
		if seen[i].State != a.State {
			t.Errorf("audit saw %s as %s, stored %s", a.ID, seen[i].State,
				a.State)
		}
	}
	return states, trips
}

func budgetHolds(t *testing.T, s store.Store) {
	old := saRevocation("old", -2*time.Hour)
	record(t, s, signal("sig-0", "d0"), []store.Action{old,
		saRevocation("r1", -30*time.Minute), saRevocation("r2", -time.Minute)})
	now := base
	states, trips := guarded(t, s, "d1", now, []store.Budget{perHour(3)},
		saRevocation("n1", 0), saRevocation("n2", 0))
	equal(t, "states", states, map[string]string{
		"n1": store.ActionPending, "n2": store.ActionAwaitingApproval})
	if len(trips) != 1 || trips[0].ActionID != "n2" || trips[0].Count != 3 {
		t.Fatalf("trips = %+v, want n2 held with 3 counted", trips)
	}
	held := getAction(t, s, "n2")
	if !strings.Contains(held.LastError, "sa-revocations") {
		t.Errorf("held action's reason %q does not name the budget",
			held.LastError)
	}
	states, _ = guarded(t, s, "d2", now.Add(90*time.Minute),
		[]store.Budget{perHour(3)}, saRevocation("n3", 90*time.Minute))
	equal(t, "an hour and a half later", states["n3"], store.ActionPending)
}

func budgetNarrows(t *testing.T, s store.Store) {
	human := saRevocation("h1", -time.Minute)
	human.PrincipalKind = store.KindHuman
	sessions := saRevocation("s1", -time.Minute)
	sessions.Kind = "revoke_sessions"
	record(t, s, signal("sig-0", "d0"), []store.Action{human, sessions,
		saRevocation("r1", -time.Minute)})
	byPolicy := store.Budget{Name: "exposure-policy", Limit: 2,
		Window: time.Hour, Policy: "exposure"}
	states, trips := guarded(t, s, "d1", base, []store.Budget{perHour(2)},
		saRevocation("n1", 0))
	equal(t, "state under the kind budget", states["n1"], store.ActionPending)
	equal(t, "trips", len(trips), 0)
	states, _ = guarded(t, s, "d2", base, []store.Budget{byPolicy},
		saRevocation("n2", 0))
	equal(t, "state under the policy budget", states["n2"],
		store.ActionAwaitingApproval)
}

func budgetSkipsHeld(t *testing.T, s store.Store) {
	held := saRevocation("held", -time.Minute)
	skipped := saRevocation("skipped", -time.Minute)
	rejected := saRevocation("rejected", -time.Minute)
	held.State, skipped.State = store.ActionAwaitingApproval,
		store.ActionSkipped
	rejected.State = store.ActionAwaitingApproval
	record(t, s, signal("sig-0", "d0"),
		[]store.Action{held, skipped, rejected})
	_, err := s.DecideApproval(t.Context(), "rejected", store.Verdict{
		Verdict: store.VerdictRejected, By: "operator:dana"}, nil)
	must(t, err)
	states, _ := guarded(t, s, "d1", base, []store.Budget{perHour(1)},
		saRevocation("n1", 0), saRevocation("n2", 0))
	equal(t, "states", states, map[string]string{
		"n1": store.ActionPending, "n2": store.ActionAwaitingApproval})
}

func budgetDuplicate(t *testing.T, s store.Store) {
	guarded(t, s, "d1", base, []store.Budget{perHour(1)},
		saRevocation("n1", 0))
	before := counts(t, s)
	states, trips := guarded(t, s, "d1", base, []store.Budget{perHour(1)},
		saRevocation("n2", 0))
	if states != nil || len(trips) != 0 {
		t.Fatalf("redelivery: states %v, trips %v; want nothing", states, trips)
	}
	equal(t, "actions and audit entries", counts(t, s), before)
}

// hold records actions awaiting approval.
func hold(t *testing.T, s store.Store, as ...store.Action) {
	t.Helper()
	for i := range as {
		as[i].State = store.ActionAwaitingApproval
	}
	record(t, s, signal("sig-held", "held"), as)
}

// verdictAudit is the audit builder of a verdict: one entry about the
// action, as the engine writes.
func verdictAudit(a store.Action) []store.AuditEntry {
	return []store.AuditEntry{{Time: base, Actor: a.Verdict.By,
		Event: "action." + a.Verdict.Verdict, Subject: a.ID}}
}

func approvalApprove(t *testing.T, s store.Store) {
	hold(t, s, action("a1", "k1"))
	v := store.Verdict{Verdict: store.VerdictApproved, By: "operator:dana",
		At: base.Add(time.Minute), Reason: "confirmed with owner"}
	got, err := s.DecideApproval(t.Context(), "a1", v, verdictAudit)
	must(t, err)
	v.At = at(time.Minute)
	equal(t, "verdict", getAction(t, s, "a1").Verdict, &v)
	equal(t, "state", [2]string{got.State, getAction(t, s, "a1").State},
		[2]string{store.ActionPending, store.ActionPending})
	equal(t, "claimed", claimed(t, s, "exec-1", base.Add(time.Hour), 9),
		[]string{"a1"})
	es := listAudit(t, s, store.AuditFilter{Subject: "a1"})
	if len(es) != 1 || es[0].Actor != "operator:dana" {
		t.Fatalf("audit of a1 = %+v, want one entry by operator:dana", es)
	}
}

func approvalReject(t *testing.T, s store.Store) {
	hold(t, s, action("a1", "k1"))
	_, err := s.DecideApproval(t.Context(), "a1", store.Verdict{
		Verdict: store.VerdictRejected, By: "operator:dana",
		Reason: "known pentest"}, verdictAudit)
	must(t, err)
	got := getAction(t, s, "a1")
	equal(t, "state", got.State, store.ActionSkipped)
	if !strings.Contains(got.LastError, "known pentest") {
		t.Errorf("last error %q does not give the reason", got.LastError)
	}
	equal(t, "claimed", claimed(t, s, "exec-1", base.Add(time.Hour), 9),
		[]string{})
}

func approvalTwice(t *testing.T, s store.Store) {
	hold(t, s, action("a1", "k1"), action("a2", "k2"))
	approve := store.Verdict{Verdict: store.VerdictApproved,
		By: "operator:dana", At: base}
	_, err := s.DecideApproval(t.Context(), "a1", approve, verdictAudit)
	must(t, err)
	_, err = s.DecideApproval(t.Context(), "a2", store.Verdict{
		Verdict: store.VerdictRejected, By: "operator:erin", At: base},
		verdictAudit)
	must(t, err)
	before := counts(t, s)
	for id, who := range map[string]string{"a1": "operator:dana",
		"a2": "operator:erin"} {
		_, err := s.DecideApproval(t.Context(), id, approve, verdictAudit)
		wantErr(t, err, store.ErrNotAwaiting)
		if !strings.Contains(err.Error(), who) {
			t.Errorf("error %q does not name %s", err, who)
		}
	}
	equal(t, "actions and audit entries", counts(t, s), before)
	equal(t, "a2's state", getAction(t, s, "a2").State, store.ActionSkipped)
}

func approvalNotHeld(t *testing.T, s store.Store) {
	addActions(t, s, action("a1", "k1"))
	v := store.Verdict{Verdict: store.VerdictApproved, By: "operator:dana"}
	_, err := s.DecideApproval(t.Context(), "a1", v, nil)
	wantErr(t, err, store.ErrNotAwaiting)
	_, err = s.DecideApproval(t.Context(), "nothing", v, nil)
	wantErr(t, err, store.ErrNotFound)
	v.By = ""
	_, err = s.DecideApproval(t.Context(), "a1", v, nil)
	wantField(t, err, "by")
}

func approvalExpire(t *testing.T, s store.Store) {
	as := make([]store.Action, 4)
	for i, on := range []string{store.OnTimeoutExecute, store.OnTimeoutDrop,
		store.OnTimeoutExecute, ""} {
		as[i] = action(fmt.Sprintf("a%d", i), fmt.Sprintf("k%d", i))
		as[i].OnTimeout = on
		as[i].ApprovalDeadline = base.Add(time.Hour)
	}
	as[2].ApprovalDeadline = base.Add(3 * time.Hour)
	as[3].ApprovalDeadline = time.Time{}
	hold(t, s, as...)
	got, _, err := s.ExpireApprovals(t.Context(), base.Add(2*time.Hour),
		"engine", nil, func(as []store.Action, _ []store.Trip) []store.AuditEntry {
			var out []store.AuditEntry
			for _, a := range as {
				out = append(out, verdictAudit(a)...)
			}
			return out
		})
	must(t, err)
	equal(t, "expired", ids(got, actionID), []string{"a0", "a1"})
	for id, want := range map[string]string{"a0": store.ActionPending,
		"a1": store.ActionSkipped, "a2": store.ActionAwaitingApproval,
		"a3": store.ActionAwaitingApproval} {
		equal(t, id+"'s state", getAction(t, s, id).State, want)
	}
	equal(t, "a0's verdict", getAction(t, s, "a0").Verdict.Verdict,
		store.VerdictExpired)
	equal(t, "audit entries", len(listAudit(t, s,
		store.AuditFilter{Subject: "a1"})), 1)
}

func approvalExpireUnderBudget(t *testing.T, s store.Store) {
	as := make([]store.Action, 3)
	for i := range as {
		as[i] = saRevocation(fmt.Sprintf("e%d", i), 0)
		as[i].OnTimeout = store.OnTimeoutExecute
		as[i].ApprovalDeadline = base.Add(time.Hour)
	}
	hold(t, s, as...)
	at := base.Add(3 * time.Hour)
	got, trips, err := s.ExpireApprovals(t.Context(), at, "engine",
		[]store.Budget{perHour(1)}, nil)
	must(t, err)
	equal(t, "expired", ids(got, actionID), []string{"e0"})
	equal(t, "tripped", ids(trips, func(tr store.Trip) string {
		return tr.ActionID
	}), []string{"e1", "e2"})
	for _, id := range []string{"e1", "e2"} {
		a := getAction(t, s, id)
		equal(t, id+"'s state", a.State, store.ActionAwaitingApproval)
		equal(t, id+"'s deadline", a.ApprovalDeadline.IsZero(), true)
	}
	// e0 was created hours before, but it was let run at its verdict.
	states, _ := guarded(t, s, "after", at.Add(time.Minute),
		[]store.Budget{perHour(1)}, saRevocation("n1", 3*time.Hour))
	equal(t, "a new action's state", states["n1"], store.ActionAwaitingApproval)
}

// approvalPastDeadline: the expiry loop runs every few seconds while run
// is up, and not at all while it is down; an approval given after the
// deadline in between ran an action whose on_timeout was drop.
func approvalPastDeadline(t *testing.T, s store.Store) {
	drop := action("a1", "k1")
	drop.OnTimeout = store.OnTimeoutDrop
	drop.ApprovalDeadline = base.Add(time.Hour)
	run := action("a2", "k2")
	run.OnTimeout = store.OnTimeoutExecute
	run.ApprovalDeadline = base.Add(time.Hour)
	late := action("a3", "k3")
	late.ApprovalDeadline = base.Add(time.Hour)
	hold(t, s, drop, run, late)
	before := counts(t, s)
	for _, c := range []struct{ id, verdict string }{
		{"a1", store.VerdictApproved}, {"a2", store.VerdictRejected}} {
		for _, at := range []time.Time{base.Add(time.Hour), base.Add(48 * time.Hour)} {
			_, err := s.DecideApproval(t.Context(), c.id, store.Verdict{
				Verdict: c.verdict, By: "operator:dana", At: at},
				verdictAudit)
			wantErr(t, err, store.ErrNotAwaiting)
			if !strings.Contains(err.Error(), "deadline passed") {
				t.Errorf("%s at %s: error %q does not say the deadline passed",
					c.id, at, err)
			}
		}
	}
	equal(t, "actions and audit entries", counts(t, s), before)

	// A moment before the deadline, a verdict still decides.
	_, err := s.DecideApproval(t.Context(), "a3", store.Verdict{
		Verdict: store.VerdictApproved, By: "operator:dana",
		At: base.Add(time.Hour - time.Millisecond)}, verdictAudit)
	must(t, err)
	equal(t, "a3's state", getAction(t, s, "a3").State, store.ActionPending)

	got, _, err := s.ExpireApprovals(t.Context(), base.Add(48*time.Hour),
		"engine", nil, nil)
	must(t, err)
	equal(t, "expired", ids(got, actionID), []string{"a1", "a2"})
	equal(t, "states", [2]string{getAction(t, s, "a1").State,
		getAction(t, s, "a2").State},
		[2]string{store.ActionSkipped, store.ActionPending})
}
