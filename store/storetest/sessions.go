package storetest

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

var sessionTests = []test{
	{"Sessions are counted by principal kind and provider", sessionCount},
	{"A session reads back as it was written", sessionRoundTrip},
	{"A session that was revoked reads back with its revocation",
		sessionRevokedRoundTrip},
	{"Putting a session again replaces it", sessionReplace},
	{"A session of an unknown principal is invalid",
		sessionUnknownPrincipal},
	{"A session without an id gets one", sessionNoID},
	{"An unknown session is not found", sessionNotFound},
	{"Sessions are filtered by every field of the filter", sessionFilter},
	{"Sessions are filtered by principal kinds and providers",
		sessionScopes},
	{"A NUL character in one session's origin neither stops the filters " +
		"by network and country nor puts it in a network", sessionOriginNUL},
	{"Sessions page in list order, those without a creation time first",
		sessionPaging},
}

// sessionOriginNUL: an origin's user agent comes from whoever signed
// in, so it holds whatever they sent.
func sessionOriginNUL(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	odd, nulIP := webSession(), webSession()
	odd.ID, nulIP.ID = "alice-odd", "alice-nul-ip"
	odd.Origin.UserAgent = "Mozilla/5.0\x00<script>"
	nulIP.Origin.IP = "198.51.100.21\x00"
	putSessions(t, s, webSession(), odd, nulIP)
	got, err := s.GetSession(t.Context(), odd.ID)
	must(t, err)
	equal(t, "origin", got.Origin, odd.Origin)
	for _, f := range []store.SessionFilter{{Country: "US"},
		{Network: netip.MustParsePrefix("198.51.100.0/24")}} {
		ss, err := s.ListSessions(t.Context(), f)
		must(t, err)
		want := []string{"alice-odd", "alice-web"}
		if f.Country != "" {
			want = append(want, "alice-nul-ip")
		}
		sameSet(t, fmt.Sprintf("sessions of %+v", f), ids(ss, sessionID),
			want)
	}
}

// webSession is an active browser session of alice with every field set
// but the revocation.
func webSession() store.Session {
	return store.Session{ID: "alice-web", PrincipalID: "alice",
		Provider: "okta", ExternalID: "102aliceOKTA", Kind: "browser",
		Origin: store.Origin{IP: "198.51.100.20", Device: "macbook",
			UserAgent: "Mozilla/5.0", Host: "laptop-17", App: "console",
			Country: "US"},
		CredentialID: "alice-password", CreatedAt: base.Add(-2 * time.Hour),
		LastSeenAt: base.Add(-5 * time.Minute),
		ExpiresAt:  base.Add(10 * time.Hour), Status: store.StatusActive}
}

// normalSession is ses with its times as a store keeps them.
func normalSession(ses store.Session) store.Session {
	ses.CreatedAt = store.NormalizeTime(ses.CreatedAt)
	ses.LastSeenAt = store.NormalizeTime(ses.LastSeenAt)
	ses.ExpiresAt = store.NormalizeTime(ses.ExpiresAt)
	if r := ses.Revocation; r != nil {
		ses.Revocation = &store.Revocation{At: store.NormalizeTime(r.At),
			By: r.By, Reason: r.Reason, SignalID: r.SignalID,
			ActionID: r.ActionID}
	}
	return ses
}

// putSessions stores sessions, failing the test on an error.
func putSessions(t *testing.T, s store.Store, ss ...store.Session) {
	t.Helper()
	for _, ses := range ss {
		must(t, s.PutSession(t.Context(), ses))
	}
}

func sessionRoundTrip(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	putSessions(t, s, webSession())
	got, err := s.GetSession(t.Context(), "alice-web")
	must(t, err)
	equal(t, "session", got, normalSession(webSession()))
}

func sessionRevokedRoundTrip(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	ses := store.Session{ID: "alice-cli", PrincipalID: "alice",
		Provider: "aws", Kind: "api", CreatedAt: base,
		Status: store.StatusRevoked, Revocation: &store.Revocation{
			At: base.Add(time.Minute), By: "policy:leaked_key",
			Reason: "key exposed on GitHub", SignalID: "sig-1",
			ActionID: "act-1"}}
	putSessions(t, s, ses)
	got, err := s.GetSession(t.Context(), ses.ID)
	must(t, err)
	equal(t, "session", got, normalSession(ses))
}

func sessionReplace(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	ses := webSession()
	putSessions(t, s, ses)
	ses.LastSeenAt, ses.Origin = base, store.Origin{IP: "203.0.113.9"}
	ses.Status = store.StatusExpired
	putSessions(t, s, ses)
	got, err := s.GetSession(t.Context(), ses.ID)
	must(t, err)
	equal(t, "session", got, normalSession(ses))
}

func sessionUnknownPrincipal(t *testing.T, s store.Store) {
	wantField(t, s.PutSession(t.Context(), webSession()), "principal_id")
	_, err := s.GetSession(t.Context(), "alice-web")
	wantErr(t, err, store.ErrNotFound)
}

func sessionNoID(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	ses := webSession()
	ses.ID = ""
	putSessions(t, s, ses)
	got, err := s.ListSessions(t.Context(),
		store.SessionFilter{PrincipalID: "alice"})
	must(t, err)
	if len(got) != 1 || got[0].ID == "" {
		t.Fatalf("sessions = %+v, want one with an id", got)
	}
	ses.ID = got[0].ID
	equal(t, "session", got[0], normalSession(ses))
}

func sessionNotFound(t *testing.T, s store.Store) {
	_, err := s.GetSession(t.Context(), "nothing")
	wantErr(t, err, store.ErrNotFound)
}

// filterFixture stores alice's and bob's sessions for the filter tests.
func filterFixture(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	addPrincipal(t, s, "bob")
	putSessions(t, s,
		store.Session{ID: "s1", PrincipalID: "alice", Provider: "okta",
			ExternalID: "ok-1", Kind: "browser", CreatedAt: second(1)},
		store.Session{ID: "s2", PrincipalID: "alice", Provider: "aws",
			ExternalID: "aws-1", Kind: "api", CredentialID: "alice-key",
			CreatedAt: second(2)},
		store.Session{ID: "s3", PrincipalID: "bob", Provider: "okta",
			ExternalID: "ok-2", Kind: "browser", CreatedAt: second(3),
			Status: store.StatusRevoked},
		store.Session{ID: "s4", PrincipalID: "bob", Provider: "github",
			Kind: "token", CredentialID: "bob-pat", CreatedAt: second(4)})
}

func sessionFilter(t *testing.T, s store.Store) {
	filterFixture(t, s)
	cases := []struct {
		name string
		f    store.SessionFilter
		want []string
	}{
		{"No filter matches every session", store.SessionFilter{},
			[]string{"s1", "s2", "s3", "s4"}},
		{"Principal matches that principal's sessions",
			store.SessionFilter{PrincipalID: "alice"}, []string{"s1", "s2"}},
		{"Credential matches the sessions it backs",
			store.SessionFilter{CredentialID: "alice-key"}, []string{"s2"}},
		{"External id matches the provider's session id",
			store.SessionFilter{ExternalID: "ok-2"}, []string{"s3"}},
		{"Kind matches that kind only",
			store.SessionFilter{Kind: "browser"}, []string{"s1", "s3"}},
		{"Provider matches that provider only",
			store.SessionFilter{Provider: "okta"}, []string{"s1", "s3"}},
		{"Status matches that status only",
			store.SessionFilter{Status: store.StatusRevoked},
			[]string{"s3"}},
		{"Ids match those sessions only",
			store.SessionFilter{IDs: []string{"s1", "s4", "s9"}},
			[]string{"s1", "s4"}},
		{"Every field given applies", store.SessionFilter{
			IDs: []string{"s1", "s3", "s4"}, Provider: "okta",
			Status: store.StatusActive}, []string{"s1"}},
		{"A filter nothing matches returns nothing",
			store.SessionFilter{PrincipalID: "carol"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListSessions(t.Context(), c.f)
			must(t, err)
			sameSet(t, "sessions", ids(got, sessionID), c.want)
		})
	}
	got, err := s.ListSessions(t.Context(), store.SessionFilter{Limit: 3})
	must(t, err)
	equal(t, "sessions under a limit of 3", len(got), 3)
}

func sessionScopes(t *testing.T, s store.Store) {
	filterFixture(t, s)
	must(t, s.PutPrincipal(t.Context(), store.Principal{ID: "ci",
		Kind: store.KindServiceAccount}))
	putSessions(t, s, store.Session{ID: "s5", PrincipalID: "ci",
		Provider: "github", Kind: "token", CreatedAt: second(5)})
	cases := []struct {
		name string
		f    store.SessionFilter
		want []string
	}{
		{"Principal kinds match their principals' sessions",
			store.SessionFilter{PrincipalKinds: []store.PrincipalKind{
				store.KindServiceAccount, store.KindAgent}},
			[]string{"s5"}},
		{"Providers match any of them", store.SessionFilter{
			Providers: []string{"aws", "github"}},
			[]string{"s2", "s4", "s5"}},
		{"Both apply", store.SessionFilter{
			Providers:      []string{"github"},
			PrincipalKinds: []store.PrincipalKind{store.KindHuman}},
			[]string{"s4"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListSessions(t.Context(), c.f)
			must(t, err)
			sameSet(t, "sessions", ids(got, sessionID), c.want)
		})
	}
}

func sessionPaging(t *testing.T, s store.Store) {
	filterFixture(t, s)
	putSessions(t, s,
		store.Session{ID: "s0", PrincipalID: "bob", Provider: "okta"},
		store.Session{ID: "s2b", PrincipalID: "bob", Provider: "okta",
			CreatedAt: second(2)})
	var got []string
	var after store.PageKey
	for range 10 {
		page, err := s.ListSessions(t.Context(),
			store.SessionFilter{After: after, Limit: 2})
		must(t, err)
		if len(page) == 0 {
			break
		}
		got = append(got, ids(page, sessionID)...)
		last := page[len(page)-1]
		after = store.PageKey{Time: last.CreatedAt, ID: last.ID}
	}
	equal(t, "sessions page by page", got,
		[]string{"s0", "s1", "s2", "s2b", "s3", "s4"})
}

func sessionCount(t *testing.T, s store.Store) {
	filterFixture(t, s)
	must(t, s.PutPrincipal(t.Context(), store.Principal{ID: "ci",
		Kind: store.KindServiceAccount}))
	putSessions(t, s,
		store.Session{ID: "c1", PrincipalID: "ci", Provider: "github",
			Origin: store.Origin{Country: "US"}, CreatedAt: second(5)},
		store.Session{ID: "c2", PrincipalID: "ci", Provider: "github",
			CreatedAt: second(6)},
		store.Session{ID: "c3", PrincipalID: "ci", Provider: "aws",
			Origin: store.Origin{Country: "US"}, CreatedAt: second(7)})
	count := func(f store.SessionFilter) []store.SessionCount {
		t.Helper()
		got, err := s.CountSessions(t.Context(), f)
		must(t, err)
		return got
	}
	equal(t, "counts", count(store.SessionFilter{Limit: 1}),
		[]store.SessionCount{
			{PrincipalKind: store.KindHuman, Provider: "okta", Count: 2},
			{PrincipalKind: store.KindServiceAccount, Provider: "github", Count: 2},
			{PrincipalKind: store.KindHuman, Provider: "aws", Count: 1},
			{PrincipalKind: store.KindHuman, Provider: "github", Count: 1},
			{PrincipalKind: store.KindServiceAccount, Provider: "aws", Count: 1}})
	equal(t, "counts of sessions from the US created after 6s",
		count(store.SessionFilter{Country: "US",
			Created: store.TimeRange{From: second(6)}}),
		[]store.SessionCount{
			{PrincipalKind: store.KindServiceAccount, Provider: "aws", Count: 1}})
	equal(t, "counts of nothing", len(count(store.SessionFilter{
		PrincipalID: "nobody"})), 0)
}

var revokeTests = []test{
	{"Revoking sessions revokes only the active ones that match",
		revokeMatching},
	{"Revoking again with the same action id reports the same sessions",
		revokeSameAction},
	{"Revoking with another action id reports only what it revoked",
		revokeOtherAction},
	{"Revoking by id leaves the other sessions alone", revokeByID},
}

// revocation is an automatic revocation by action act.
func revocation(act string) store.Revocation {
	return store.Revocation{At: base.Add(time.Minute),
		By: "policy:impossible_travel", Reason: "login from two countries",
		SignalID: "sig-1", ActionID: act}
}

// revoke calls RevokeSessions and returns the reported session ids.
func revoke(t *testing.T, s store.Store, f store.SessionFilter,
	rev store.Revocation) []string {
	t.Helper()
	got, err := s.RevokeSessions(t.Context(), f, rev)
	must(t, err)
	return ids(got, sessionID)
}

func revokeMatching(t *testing.T, s store.Store) {
	filterFixture(t, s)
	rev := revocation("act-1")
	got, err := s.RevokeSessions(t.Context(),
		store.SessionFilter{Provider: "okta"}, rev)
	must(t, err)
	sameSet(t, "revoked", ids(got, sessionID), []string{"s1"})
	want := normalSession(store.Session{Revocation: &rev}).Revocation
	equal(t, "reported revocation", got[0].Revocation, want)
	equal(t, "reported status", got[0].Status, store.StatusRevoked)
	stored, err := s.GetSession(t.Context(), "s1")
	must(t, err)
	equal(t, "stored session", stored, got[0])
	s3, err := s.GetSession(t.Context(), "s3")
	must(t, err)
	equal(t, "session revoked before", s3.Revocation, nil)
	active, err := s.ListSessions(t.Context(),
		store.SessionFilter{Status: store.StatusActive})
	must(t, err)
	sameSet(t, "still active", ids(active, sessionID), []string{"s2", "s4"})
}

func revokeSameAction(t *testing.T, s store.Store) {
	filterFixture(t, s)
	f := store.SessionFilter{PrincipalID: "alice"}
	first := revoke(t, s, f, revocation("act-1"))
	sameSet(t, "first call", first, []string{"s1", "s2"})
	sameSet(t, "retried call", revoke(t, s, f, revocation("act-1")), first)
	putSessions(t, s, store.Session{ID: "s5", PrincipalID: "alice",
		Provider: "okta", Kind: "browser", CreatedAt: second(5)})
	sameSet(t, "call after a new session", revoke(t, s, f,
		revocation("act-1")), []string{"s1", "s2", "s5"})
}

func revokeOtherAction(t *testing.T, s store.Store) {
	filterFixture(t, s)
	f := store.SessionFilter{PrincipalID: "alice"}
	revoke(t, s, f, revocation("act-1"))
	sameSet(t, "another action", revoke(t, s, f, revocation("act-2")), nil)
	sameSet(t, "no action", revoke(t, s, f, revocation("")), nil)
}

func revokeByID(t *testing.T, s store.Store) {
	filterFixture(t, s)
	got := revoke(t, s, store.SessionFilter{IDs: []string{"s2", "s4"}},
		store.Revocation{At: base, By: "operator:dana", Reason: "offboarded"})
	sameSet(t, "revoked", got, []string{"s2", "s4"})
	s1, err := s.GetSession(t.Context(), "s1")
	must(t, err)
	equal(t, "untouched status", s1.Status, store.StatusActive)
}
