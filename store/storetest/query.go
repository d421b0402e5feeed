package storetest

import (
	"net/netip"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// queryTests pin down the filters, orders and paging keys that the
// HTTP API's lists are built on.
var queryTests = []test{
	{"Sessions are filtered by origin, effect and time ranges",
		sessionQueryFilter},
	{"Sessions are ordered by a time column either way and paged in it",
		sessionOrder},
	{"An unknown sort column is invalid and names the order",
		sessionBadOrder},
	{"Principals are filtered by creation time", principalCreated},
	{"Principals are filtered by the providers of their sessions and " +
		"credentials", principalProviders},
	{"Credentials are filtered by kind, store, principal kind, " +
		"exposure and creation time", credentialQueryFilter},
	{"Credentials are ordered by last use and paged in it",
		credentialOrder},
	{"Actions are filtered by kind, target and principal kind and " +
		"paged after an id", actionQuery},
	{"Signals are found by format, category, severity and time, newest " +
		"first, and paged after an id", signalQuery},
}

// queryFixture stores alice (human) and ci (service account) with
// sessions of several origins.
func queryFixture(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	must(t, s.PutPrincipal(t.Context(), store.Principal{ID: "ci",
		Kind: store.KindServiceAccount, CreatedAt: second(50)}))
	putSessions(t, s,
		store.Session{ID: "s1", PrincipalID: "alice", Provider: "okta",
			Origin:    store.Origin{IP: "198.51.100.20", Country: "US"},
			CreatedAt: second(1), LastSeenAt: second(30),
			Effect: store.EffectImmediate},
		store.Session{ID: "s2", PrincipalID: "alice", Provider: "okta",
			Origin:    store.Origin{IP: "203.0.113.9", Country: "PT"},
			CreatedAt: second(2), LastSeenAt: second(10),
			Effect: store.EffectAtExpiry},
		store.Session{ID: "s3", PrincipalID: "ci", Provider: "aws",
			Origin:    store.Origin{IP: "2001:db8::7", Country: "US"},
			CreatedAt: second(3)},
		store.Session{ID: "s4", PrincipalID: "ci", Provider: "aws",
			Origin: store.Origin{Host: "runner-1"}, CreatedAt: second(4),
			LastSeenAt: second(20)})
}

func sessionQueryFilter(t *testing.T, s store.Store) {
	queryFixture(t, s)
	cases := []struct {
		name string
		f    store.SessionFilter
		want []string
	}{
		{"Country", store.SessionFilter{Country: "US"}, []string{"s1", "s3"}},
		{"An IPv4 network", store.SessionFilter{
			Network: netip.MustParsePrefix("198.51.100.0/24")},
			[]string{"s1"}},
		{"An IPv6 network", store.SessionFilter{
			Network: netip.MustParsePrefix("2001:db8::/32")},
			[]string{"s3"}},
		{"A network no origin is in", store.SessionFilter{
			Network: netip.MustParsePrefix("10.0.0.0/8")}, nil},
		{"Effect", store.SessionFilter{Effect: store.EffectAtExpiry},
			[]string{"s2"}},
		{"Created from, inclusive", store.SessionFilter{
			Created: store.TimeRange{From: second(2)}},
			[]string{"s2", "s3", "s4"}},
		{"Created before, exclusive", store.SessionFilter{
			Created: store.TimeRange{To: second(2)}}, []string{"s1"}},
		{"Last seen in a range leaves out the never seen",
			store.SessionFilter{LastSeen: store.TimeRange{
				From: second(15), To: second(60)}}, []string{"s1", "s4"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListSessions(t.Context(), c.f)
			must(t, err)
			sameSet(t, "sessions", ids(got, sessionID), c.want)
		})
	}
}

func sessionOrder(t *testing.T, s store.Store) {
	queryFixture(t, s)
	o := store.Order{By: "last_seen_at", Desc: true}
	all, err := s.ListSessions(t.Context(), store.SessionFilter{Order: o})
	must(t, err)
	equal(t, "newest seen first, never seen last", ids(all, sessionID),
		[]string{"s1", "s4", "s2", "s3"})

	var got []string
	var after store.PageKey
	for range 5 {
		page, err := s.ListSessions(t.Context(), store.SessionFilter{
			Order: o, After: after, Limit: 1})
		must(t, err)
		if len(page) == 0 {
			break
		}
		got = append(got, page[0].ID)
		after = store.PageKey{Time: page[0].LastSeenAt, ID: page[0].ID}
	}
	equal(t, "paged one at a time", got, ids(all, sessionID))
}

func sessionBadOrder(t *testing.T, s store.Store) {
	_, err := s.ListSessions(t.Context(), store.SessionFilter{
		Order: store.Order{By: "id; DROP TABLE sessions"}})
	wantField(t, err, "order")
}

func principalCreated(t *testing.T, s store.Store) {
	queryFixture(t, s)
	got, err := s.ListPrincipals(t.Context(), store.PrincipalFilter{
		Created: store.TimeRange{From: second(10)}})
	must(t, err)
	equal(t, "principals", ids(got, principalID), []string{"ci"})
}

func principalProviders(t *testing.T, s store.Store) {
	queryFixture(t, s)
	addPrincipal(t, s, "bob")
	must(t, s.PutCredential(t.Context(), store.Credential{ID: "bob-key",
		PrincipalID: "bob", Store: "vault", CreatedAt: base}))
	cases := []struct {
		name      string
		providers []string
		want      []string
	}{
		{"A session's provider", []string{"okta"}, []string{"alice"}},
		{"A credential's store", []string{"vault"}, []string{"bob"}},
		{"Any of several", []string{"aws", "vault"}, []string{"bob", "ci"}},
		{"One nobody has", []string{"github"}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListPrincipals(t.Context(),
				store.PrincipalFilter{Providers: c.providers})
			must(t, err)
			sameSet(t, "principals", ids(got, principalID), c.want)
		})
	}
}

// credentialFixture stores credentials of alice and ci, two of them
// exposed, one of those still valid.
func credentialFixture(t *testing.T, s store.Store) {
	queryFixture(t, s)
	putCredentials(t, s,
		store.Credential{ID: "c1", PrincipalID: "alice", Kind: "password",
			Store: "okta", CreatedAt: second(1), LastUsedAt: second(9)},
		store.Credential{ID: "c2", PrincipalID: "ci", Kind: "access_key",
			Store: "aws", CreatedAt: second(2), LastUsedAt: second(5)},
		store.Credential{ID: "c3", PrincipalID: "ci", Kind: "api_key",
			Store: "vault", CreatedAt: second(3),
			Effect: store.EffectEventual})
	for _, e := range []store.ExposureRecord{leak("c2", -48*time.Hour),
		leak("c3", -time.Hour)} {
		_, err := s.RecordExposure(t.Context(), e)
		must(t, err)
	}
	must(t, s.SetExposureValidity(t.Context(), "c2", store.ValidityValid,
		base))
}

func credentialQueryFilter(t *testing.T, s store.Store) {
	credentialFixture(t, s)
	cases := []struct {
		name string
		f    store.CredentialFilter
		want []string
	}{
		{"Kind", store.CredentialFilter{Kind: "api_key"}, []string{"c3"}},
		{"Effect", store.CredentialFilter{Effect: store.EffectEventual},
			[]string{"c3"}},
		{"Stores", store.CredentialFilter{Stores: []string{"okta", "aws"}},
			[]string{"c1", "c2"}},
		{"Principal kinds", store.CredentialFilter{PrincipalKinds: []store.
			PrincipalKind{store.KindServiceAccount}}, []string{"c2", "c3"}},
		{"Exposed", store.CredentialFilter{Exposed: true},
			[]string{"c2", "c3"}},
		{"Still valid", store.CredentialFilter{StillValid: true},
			[]string{"c2"}},
		{"Exposed before a time", store.CredentialFilter{
			ExposedBefore: base.Add(-24 * time.Hour)}, []string{"c2"}},
		{"Created in a range", store.CredentialFilter{Created: store.
			TimeRange{From: second(2), To: second(3)}}, []string{"c2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListCredentials(t.Context(), c.f)
			must(t, err)
			sameSet(t, "credentials", ids(got, credentialID), c.want)
		})
	}
}

func credentialOrder(t *testing.T, s store.Store) {
	credentialFixture(t, s)
	o := store.Order{By: "last_used_at"}
	all, err := s.ListCredentials(t.Context(), store.CredentialFilter{Order: o})
	must(t, err)
	equal(t, "never used first, then oldest use", ids(all, credentialID),
		[]string{"c3", "c2", "c1"})
	page, err := s.ListCredentials(t.Context(), store.CredentialFilter{
		Order: o, After: store.PageKey{Time: all[1].LastUsedAt,
			ID: all[1].ID}})
	must(t, err)
	equal(t, "after the second", ids(page, credentialID), []string{"c1"})
}

func actionQuery(t *testing.T, s store.Store) {
	as := numbered(4)
	as[1].Kind, as[1].TargetType, as[1].TargetID = "lock", "credential", "c2"
	as[2].PrincipalKind = store.KindServiceAccount
	as[3].PrincipalKind = store.KindHuman
	addActions(t, s, as...)
	cases := []struct {
		name string
		f    store.ActionFilter
		want []string
	}{
		{"Kind", store.ActionFilter{Kind: "lock"}, []string{"a01"}},
		{"Target", store.ActionFilter{TargetType: "credential",
			TargetID: "c2"}, []string{"a01"}},
		{"Principal kinds", store.ActionFilter{PrincipalKinds: []store.
			PrincipalKind{store.KindServiceAccount}}, []string{"a02"}},
		{"After an id", store.ActionFilter{AfterID: "a01"},
			[]string{"a02", "a03"}},
		{"Created in a range", store.ActionFilter{Created: store.TimeRange{
			From: as[1].CreatedAt, To: as[3].CreatedAt}},
			[]string{"a01", "a02"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListActions(t.Context(), c.f)
			must(t, err)
			equal(t, "actions", ids(got, actionID), c.want)
		})
	}
}

func signalQuery(t *testing.T, s store.Store) {
	for i, f := range []string{"okta", "guardduty", "okta", "falco"} {
		rec := signal("sig-"+string(rune('1'+i)), "d"+string(rune('1'+i)))
		rec.Format = f
		rec.ReceivedAt = second(i)
		if i == 2 {
			rec.Severity = "low"
		}
		record(t, s, rec, nil)
	}
	id := func(r store.SignalRecord) string { return r.ID }
	cases := []struct {
		name string
		f    store.SignalFilter
		want []string
	}{
		{"Everything, newest first", store.SignalFilter{},
			[]string{"sig-4", "sig-3", "sig-2", "sig-1"}},
		{"Format", store.SignalFilter{Format: "okta"},
			[]string{"sig-3", "sig-1"}},
		{"Severity", store.SignalFilter{Severity: "low"}, []string{"sig-3"}},
		{"Category", store.SignalFilter{Category: "other"}, []string{}},
		{"Received in a range", store.SignalFilter{Received: store.
			TimeRange{From: second(1), To: second(3)}},
			[]string{"sig-3", "sig-2"}},
		{"After an id, with a limit", store.SignalFilter{AfterID: "sig-3",
			Limit: 1}, []string{"sig-2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.FindSignals(t.Context(), c.f)
			must(t, err)
			equal(t, "signals", ids(got, id), c.want)
		})
	}
}
