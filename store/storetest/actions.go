package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

var actionTests = []test{
	{"A recorded action reads back as it was written", actionRoundTrip},
	{"An unknown action is not found", actionNotFound},
	{"Actions are listed in created order, by state, signal and limit",
		actionFilter},
	{"Finishing an action stores its state, result and audit entries",
		actionFinish},
	{"Finishing with a state that is not final is invalid",
		actionFinishNotFinal},
	{"Finishing an unknown action is not found", actionFinishNotFound},
	{"Retrying an action makes it runnable again at its not-before time",
		actionRetry},
	{"Retrying an unknown action is not found", actionRetryNotFound},
	{"Retrying an action that is done is invalid", actionRetryDone},
	{"An action's error that is not UTF-8 or holds a NUL is kept with " +
		"U+FFFD in their place", actionErrorNotUTF8},
}

// lease is how long the claims of the tests last.
const lease = time.Minute

// addActions records one signal with actions.
func addActions(t *testing.T, s store.Store, as ...store.Action) {
	t.Helper()
	record(t, s, signal("sig-1", "d1"), as)
}

// numbered returns n pending actions, created a second apart.
func numbered(n int) []store.Action {
	as := make([]store.Action, n)
	for i := range as {
		as[i] = action(fmt.Sprintf("a%02d", i), fmt.Sprintf("k%02d", i))
		as[i].CreatedAt = base.Add(time.Duration(i) * time.Second)
	}
	return as
}

// claimed claims for owner at now and returns the claimed ids.
func claimed(t *testing.T, s store.Store, owner string, now time.Time,
	limit int) []string {
	t.Helper()
	as, err := s.ClaimActions(t.Context(), owner, now, lease, limit)
	must(t, err)
	return ids(as, actionID)
}

// getAction reads an action and fails the test on an error.
func getAction(t *testing.T, s store.Store, id string) store.Action {
	t.Helper()
	a, err := s.GetAction(t.Context(), id)
	must(t, err)
	return a
}

func actionRoundTrip(t *testing.T, s store.Store) {
	a := action("a1", "k1")
	a.SignalID, a.LastError, a.Attempts = "sig-1", "earlier failure", 2
	a.Result = json.RawMessage(`{"partial": [ "s1" ]}`)
	a.LeaseUntil = base.Add(time.Hour)
	addActions(t, s, a)
	a.CreatedAt, a.UpdatedAt, a.LeaseUntil = at(0), at(0), at(time.Hour)
	equal(t, "action", getAction(t, s, "a1"), a)
}

func actionNotFound(t *testing.T, s store.Store) {
	_, err := s.GetAction(t.Context(), "nothing")
	wantErr(t, err, store.ErrNotFound)
}

func actionFilter(t *testing.T, s store.Store) {
	as := numbered(4)
	as[2].State = store.ActionAwaitingApproval
	slices.Reverse(as)
	addActions(t, s, as...)
	other := action("b1", "other")
	other.CreatedAt = base.Add(-time.Second)
	record(t, s, signal("sig-2", "d2"), []store.Action{other})
	cases := []struct {
		name string
		f    store.ActionFilter
		want []string
	}{
		{"No filter lists every action in created order",
			store.ActionFilter{}, []string{"b1", "a00", "a01", "a02", "a03"}},
		{"State matches that state only", store.ActionFilter{
			State: store.ActionAwaitingApproval}, []string{"a02"}},
		{"Signal matches that signal's actions", store.ActionFilter{
			SignalID: "sig-1", State: store.ActionPending},
			[]string{"a00", "a01", "a03"}},
		{"Limit keeps the oldest", store.ActionFilter{Limit: 2},
			[]string{"b1", "a00"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListActions(t.Context(), c.f)
			must(t, err)
			equal(t, "actions", ids(got, actionID), c.want)
		})
	}
}

func actionFinish(t *testing.T, s store.Store) {
	addActions(t, s, action("a1", "k1"))
	claimed(t, s, "exec-1", base, 1)
	result := json.RawMessage(`{"revoked": ["s1", "s2"]}`)
	must(t, s.FinishAction(t.Context(), "a1", store.ActionDone, result, "",
		[]store.AuditEntry{entry("alice", 1)}))
	got := getAction(t, s, "a1")
	equal(t, "state and result", [2]any{got.State, got.Result},
		[2]any{store.ActionDone, result})
	equal(t, "actions and audit entries", counts(t, s), [2]int{1, 1})
	equal(t, "claimed later", claimed(t, s, "exec-2", base.Add(time.Hour), 9),
		[]string{})
	must(t, s.FinishAction(t.Context(), "a1", store.ActionFailed, nil,
		"okta: 500", nil))
	got = getAction(t, s, "a1")
	equal(t, "failed", [2]any{got.State, got.LastError},
		[2]any{store.ActionFailed, "okta: 500"})
}

func actionFinishNotFinal(t *testing.T, s store.Store) {
	addActions(t, s, action("a1", "k1"))
	err := s.FinishAction(t.Context(), "a1", store.ActionRunning, nil, "",
		[]store.AuditEntry{entry("alice", 1)})
	wantErr(t, err, store.ErrInvalid)
	equal(t, "state", getAction(t, s, "a1").State, store.ActionPending)
	equal(t, "actions and audit entries", counts(t, s), [2]int{1, 0})
}

func actionFinishNotFound(t *testing.T, s store.Store) {
	err := s.FinishAction(t.Context(), "nothing", store.ActionDone, nil, "",
		[]store.AuditEntry{entry("alice", 1)})
	wantErr(t, err, store.ErrNotFound)
	equal(t, "actions and audit entries", counts(t, s), [2]int{0, 0})
}

func actionRetry(t *testing.T, s store.Store) {
	addActions(t, s, action("a1", "k1"))
	claimed(t, s, "exec-1", base, 1)
	notBefore := base.Add(5 * time.Minute)
	must(t, s.RetryAction(t.Context(), "a1", "okta: timeout", notBefore))
	got := getAction(t, s, "a1")
	equal(t, "state, last error, not-before",
		[3]any{got.State, got.LastError, got.LeaseUntil},
		[3]any{store.ActionPending, "okta: timeout", at(5 * time.Minute)})
	equal(t, "claimed before", claimed(t, s, "exec-2",
		base.Add(4*time.Minute), 1), []string{})
	equal(t, "claimed at", claimed(t, s, "exec-2", notBefore, 1),
		[]string{"a1"})
	got = getAction(t, s, "a1")
	equal(t, "attempts and last error", [2]any{got.Attempts, got.LastError},
		[2]any{2, "okta: timeout"})
}

// A connector's error cut inside a character, or a body that is no
// UTF-8, fails or retries the action all the same: PostgreSQL refused
// the write, and the action ran again at each lease's end.
func actionErrorNotUTF8(t *testing.T, s store.Store) {
	addActions(t, s, action("a1", "k1"))
	claimed(t, s, "exec-1", base, 1)
	must(t, s.RetryAction(t.Context(), "a1", "okta: 400 caf\xc3", base))
	equal(t, "retried", getAction(t, s, "a1").LastError,
		"okta: 400 caf\uFFFD")
	claimed(t, s, "exec-1", base, 1)
	must(t, s.FinishAction(t.Context(), "a1", store.ActionFailed, nil,
		"okta: 500 \x00\xff", nil))
	got := getAction(t, s, "a1")
	equal(t, "failed", [2]any{got.State, got.LastError},
		[2]any{store.ActionFailed, "okta: 500 \uFFFD\uFFFD"})
}

func actionRetryNotFound(t *testing.T, s store.Store) {
	err := s.RetryAction(t.Context(), "nothing", "timeout", base)
	wantErr(t, err, store.ErrNotFound)
}

func actionRetryDone(t *testing.T, s store.Store) {
	addActions(t, s, action("a1", "k1"))
	must(t, s.FinishAction(t.Context(), "a1", store.ActionDone, nil, "", nil))
	err := s.RetryAction(t.Context(), "a1", "timeout", base)
	wantErr(t, err, store.ErrInvalid)
	equal(t, "state", getAction(t, s, "a1").State, store.ActionDone)
}

var claimTests = []test{
	{"Claiming leases runnable actions in created order and counts " +
		"attempts", claimOrder},
	{"A claimed action is not claimed again until its lease expires",
		claimLease},
	{"A pending action with a future not-before time is not claimed",
		claimNotBefore},
	{"Actions awaiting approval or finished are never claimed",
		claimNotRunnable},
	{"Concurrent claims never hand one action to two owners",
		claimConcurrent},
	{"Claiming with no owner, lease or limit is invalid", claimInvalid},
}

func claimOrder(t *testing.T, s store.Store) {
	as := numbered(3)
	slices.Reverse(as)
	addActions(t, s, as...)
	got, err := s.ClaimActions(t.Context(), "exec-1", base, lease, 2)
	must(t, err)
	equal(t, "claimed", ids(got, actionID), []string{"a00", "a01"})
	for _, a := range append(got, getAction(t, s, "a00")) {
		equal(t, a.ID+" state, attempts, lease",
			[3]any{a.State, a.Attempts, a.LeaseUntil},
			[3]any{store.ActionRunning, 1, at(lease)})
	}
	equal(t, "a02 state", getAction(t, s, "a02").State, store.ActionPending)
}

func claimLease(t *testing.T, s store.Store) {
	addActions(t, s, action("a1", "k1"))
	equal(t, "first claim", claimed(t, s, "exec-1", base, 5),
		[]string{"a1"})
	equal(t, "claim during the lease", claimed(t, s, "exec-2",
		base.Add(lease/2), 5), []string{})
	equal(t, "claim as the lease ends", claimed(t, s, "exec-2",
		at(lease), 5), []string{})
	later := at(lease).Add(time.Microsecond)
	equal(t, "claim after the lease", claimed(t, s, "exec-2", later, 5),
		[]string{"a1"})
	got := getAction(t, s, "a1")
	equal(t, "attempts and lease", [2]any{got.Attempts, got.LeaseUntil},
		[2]any{2, later.Add(lease)})
}

func claimNotBefore(t *testing.T, s store.Store) {
	a := action("a1", "k1")
	a.LeaseUntil = base.Add(time.Hour)
	addActions(t, s, a)
	equal(t, "claim before", claimed(t, s, "exec-1", base, 5), []string{})
	equal(t, "claim at the not-before time", claimed(t, s, "exec-1",
		at(time.Hour), 5), []string{"a1"})
}

func claimNotRunnable(t *testing.T, s store.Store) {
	as := numbered(4)
	as[0].State = store.ActionAwaitingApproval
	as[1].State = store.ActionDone
	as[2].State = store.ActionFailed
	as[3].State = store.ActionSkipped
	addActions(t, s, as...)
	equal(t, "claimed", claimed(t, s, "exec-1", base.Add(24*time.Hour), 9),
		[]string{})
}

func claimConcurrent(t *testing.T, s store.Store) {
	const n, owners = 40, 4
	addActions(t, s, numbered(n)...)
	var mu sync.Mutex
	owner := map[string]string{}
	var wg sync.WaitGroup
	for w := range owners {
		name := fmt.Sprintf("exec-%d", w)
		wg.Go(func() {
			claimAll(t, s, name, func(a store.Action) {
				mu.Lock()
				defer mu.Unlock()
				if prev, ok := owner[a.ID]; ok {
					t.Errorf("%s claimed by %s and %s", a.ID, prev, name)
				}
				owner[a.ID] = name
			})
		})
	}
	wg.Wait()
	equal(t, "claimed actions", len(owner), n)
	all, err := s.ListActions(t.Context(), store.ActionFilter{})
	must(t, err)
	for _, a := range all {
		equal(t, a.ID+" attempts", a.Attempts, 1)
	}
}

// claimAll claims three actions at a time for owner until none is left,
// calling got for each. It runs outside the test's goroutine, so it
// reports errors with t.Error.
func claimAll(t *testing.T, s store.Store, owner string, got func(store.Action)) {
	for {
		as, err := s.ClaimActions(t.Context(), owner, base, time.Hour, 3)
		if err != nil {
			t.Error(err)
		}
		if err != nil || len(as) == 0 {
			return
		}
		for _, a := range as {
			got(a)
		}
	}
}

func claimInvalid(t *testing.T, s store.Store) {
	addActions(t, s, action("a1", "k1"))
	for _, c := range []struct {
		owner string
		lease time.Duration
		limit int
	}{{"", lease, 1}, {"exec-1", 0, 1}, {"exec-1", lease, 0}} {
		_, err := s.ClaimActions(t.Context(), c.owner, base, c.lease, c.limit)
		wantErr(t, err, store.ErrInvalid)
	}
	equal(t, "state", getAction(t, s, "a1").State, store.ActionPending)
}
