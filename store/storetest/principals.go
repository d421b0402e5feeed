package storetest

import (
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
)

var principalTests = []test{
	{"A principal reads back as it was written", principalRoundTrip},
	{"Putting a principal again replaces it", principalReplace},
	{"A principal with no status is active", principalDefaultStatus},
	{"An unknown principal is not found", principalNotFound},
	{"A principal of an unknown kind is invalid", principalBadKind},
	{"A principal without an id is invalid", principalNoID},
	{"Principals are filtered by kind, status and limit", principalFilter},
	{"Setting a principal's status reports whether it changed",
		principalStatus},
	{"Setting the status of an unknown principal is not found",
		principalStatusNotFound},
	{"An unknown principal status is invalid", principalStatusInvalid},
}

// alice is a principal with every field set.
func alice() store.Principal {
	return store.Principal{ID: "alice", Kind: store.KindHuman,
		DisplayName: "Alice Nguyen", Owner: "security@example.com",
		Status: store.StatusActive, BreakGlass: true, CreatedAt: base,
		Labels: map[string]string{"team": "payments", "tier": "1"}}
}

func principalRoundTrip(t *testing.T, s store.Store) {
	p := alice()
	must(t, s.PutPrincipal(t.Context(), p))
	got, err := s.GetPrincipal(t.Context(), "alice")
	must(t, err)
	p.CreatedAt = at(0)
	equal(t, "principal", got, p)
}

func principalReplace(t *testing.T, s store.Store) {
	must(t, s.PutPrincipal(t.Context(), alice()))
	p := store.Principal{ID: "alice", Kind: store.KindAgent,
		DisplayName: "Alice's agent", Status: "disabled",
		Labels: map[string]string{"team": "ml"}}
	must(t, s.PutPrincipal(t.Context(), p))
	got, err := s.GetPrincipal(t.Context(), "alice")
	must(t, err)
	equal(t, "principal", got, p)
}

func principalDefaultStatus(t *testing.T, s store.Store) {
	must(t, s.PutPrincipal(t.Context(),
		store.Principal{ID: "svc", Kind: store.KindServiceAccount}))
	got, err := s.GetPrincipal(t.Context(), "svc")
	must(t, err)
	equal(t, "status", got.Status, store.StatusActive)
}

func principalNotFound(t *testing.T, s store.Store) {
	_, err := s.GetPrincipal(t.Context(), "nobody")
	wantErr(t, err, store.ErrNotFound)
}

func principalBadKind(t *testing.T, s store.Store) {
	p := alice()
	p.Kind = "robot"
	wantField(t, s.PutPrincipal(t.Context(), p), "kind")
	_, err := s.GetPrincipal(t.Context(), "alice")
	wantErr(t, err, store.ErrNotFound)
}

func principalNoID(t *testing.T, s store.Store) {
	p := alice()
	p.ID = ""
	wantErr(t, s.PutPrincipal(t.Context(), p), store.ErrInvalid)
}

func principalFilter(t *testing.T, s store.Store) {
	for _, p := range []store.Principal{
		{ID: "alice", Kind: store.KindHuman, Status: store.StatusActive},
		{ID: "bob", Kind: store.KindHuman, Status: "disabled"},
		{ID: "ci", Kind: store.KindServiceAccount, Status: store.StatusActive},
		{ID: "helper", Kind: store.KindAgent, Status: store.StatusActive},
	} {
		must(t, s.PutPrincipal(t.Context(), p))
	}
	cases := []struct {
		name string
		f    store.PrincipalFilter
		want []string
	}{
		{"No filter matches every principal", store.PrincipalFilter{},
			[]string{"alice", "bob", "ci", "helper"}},
		{"Kind matches that kind only",
			store.PrincipalFilter{Kind: store.KindHuman},
			[]string{"alice", "bob"}},
		{"Status matches that status only",
			store.PrincipalFilter{Status: store.StatusActive},
			[]string{"alice", "ci", "helper"}},
		{"Kind and status both apply", store.PrincipalFilter{
			Kind: store.KindHuman, Status: "disabled"}, []string{"bob"}},
		{"Kinds match any of those kinds", store.PrincipalFilter{
			Kinds: []store.PrincipalKind{store.KindAgent,
				store.KindServiceAccount}}, []string{"ci", "helper"}},
		{"After an id matches the ids that sort after it",
			store.PrincipalFilter{AfterID: "bob"},
			[]string{"ci", "helper"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListPrincipals(t.Context(), c.f)
			must(t, err)
			sameSet(t, "principals", ids(got, principalID), c.want)
		})
	}
	got, err := s.ListPrincipals(t.Context(), store.PrincipalFilter{Limit: 3})
	must(t, err)
	equal(t, "principals under a limit of 3", len(got), 3)
}

func principalStatus(t *testing.T, s store.Store) {
	must(t, s.PutPrincipal(t.Context(), alice()))
	for i, want := range []bool{true, false} {
		changed, err := s.SetPrincipalStatus(t.Context(), "alice", "disabled")
		must(t, err)
		if changed != want {
			t.Fatalf("call %d: changed = %v, want %v", i+1, changed, want)
		}
	}
	got, err := s.GetPrincipal(t.Context(), "alice")
	must(t, err)
	equal(t, "status", got.Status, "disabled")
}

func principalStatusNotFound(t *testing.T, s store.Store) {
	_, err := s.SetPrincipalStatus(t.Context(), "nobody", "disabled")
	wantErr(t, err, store.ErrNotFound)
}

func principalStatusInvalid(t *testing.T, s store.Store) {
	must(t, s.PutPrincipal(t.Context(), alice()))
	_, err := s.SetPrincipalStatus(t.Context(), "alice", "deleted")
	wantErr(t, err, store.ErrInvalid)
}

var aliasTests = []test{
	{"An alias resolves to every principal it names", aliasResolve},
	{"An identifier that names no one resolves to nothing", aliasNone},
	{"An alias of an unknown principal is invalid", aliasUnknownPrincipal},
	{"Putting an alias again replaces its credential", aliasReplace},
	{"A principal's aliases are listed, and only its own", aliasList},
	{"An alias value is found whatever its type", aliasFind},
	{"An e-mail or user name resolves whatever its case, other ids by case",
		aliasResolveCase},
	{"An e-mail or user name is found whatever its case", aliasFindCase},
}

// aliasResolveCase: an alert that spells alice's address or GitHub
// login in another case than the inventory (Alice@Example.com,
// Codertocat) named no one, and nothing was revoked. Identity providers
// compare e-mail addresses and user names whatever the case; provider
// ids (an Okta user id, a session id) are kept exact.
func aliasResolveCase(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	addPrincipal(t, s, "bob")
	for _, a := range []store.Alias{
		{Type: "email", Value: "alice@example.com", PrincipalID: "alice"},
		{Type: "username", Value: "codertocat", PrincipalID: "alice"},
		{Type: "user_id", Value: "00uAbC", PrincipalID: "alice"},
		{Type: "user_id", Value: "00uabc", PrincipalID: "bob"},
	} {
		must(t, s.PutAlias(t.Context(), a))
	}
	for _, c := range []struct{ typ, value, want string }{
		{"email", "Alice@Example.COM", "alice"},
		{"username", "Codertocat", "alice"},
		{"user_id", "00uAbC", "alice"},
		{"user_id", "00uabc", "bob"},
		{"user_id", "00UABC", ""},
	} {
		got, err := s.ResolveAlias(t.Context(), c.typ, c.value)
		must(t, err)
		var names []string
		for _, a := range got {
			names = append(names, a.PrincipalID)
		}
		if strings.Join(names, ",") != c.want {
			t.Errorf("ResolveAlias(%s, %q) = %v, want %q", c.typ, c.value,
				names, c.want)
		}
	}
}

func aliasFindCase(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	must(t, s.PutAlias(t.Context(), store.Alias{Type: "email",
		Value: "alice@example.com", PrincipalID: "alice"}))
	must(t, s.PutAlias(t.Context(), store.Alias{Type: "user_id",
		Value: "00ualice", PrincipalID: "alice"}))
	got, err := s.FindAliases(t.Context(), "ALICE@example.com")
	must(t, err)
	equal(t, "aliases", got, []store.Alias{{Type: "email",
		Value: "alice@example.com", PrincipalID: "alice"}})
	got, err = s.FindAliases(t.Context(), "00UALICE")
	must(t, err)
	equal(t, "aliases of a provider id in another case", len(got), 0)
}

func aliasFind(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	addPrincipal(t, s, "bob")
	for _, a := range []store.Alias{
		{Type: "username", Value: "alice", PrincipalID: "bob"},
		{Type: "email", Value: "alice", PrincipalID: "alice"},
		{Type: "username", Value: "alice", PrincipalID: "alice"},
		{Type: "email", Value: "alice@example.com", PrincipalID: "alice"},
	} {
		must(t, s.PutAlias(t.Context(), a))
	}
	got, err := s.FindAliases(t.Context(), "alice")
	must(t, err)
	equal(t, "aliases", got, []store.Alias{
		{Type: "email", Value: "alice", PrincipalID: "alice"},
		{Type: "username", Value: "alice", PrincipalID: "alice"},
		{Type: "username", Value: "alice", PrincipalID: "bob"},
	})
	got, err = s.FindAliases(t.Context(), "ghost")
	must(t, err)
	equal(t, "aliases of an unknown value", len(got), 0)
}

func aliasResolve(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	addPrincipal(t, s, "bob")
	for _, id := range []string{"alice", "bob"} {
		must(t, s.PutAlias(t.Context(), store.Alias{Type: "email",
			Value: "oncall@example.com", PrincipalID: id}))
	}
	got, err := s.ResolveAlias(t.Context(), "email", "oncall@example.com")
	must(t, err)
	sameSet(t, "principals", ids(got, func(a store.Alias) string {
		return a.PrincipalID
	}), []string{"alice", "bob"})
	got, err = s.ResolveAlias(t.Context(), "user_id", "oncall@example.com")
	must(t, err)
	equal(t, "aliases of another type", len(got), 0)
}

func aliasNone(t *testing.T, s store.Store) {
	got, err := s.ResolveAlias(t.Context(), "email", "ghost@example.com")
	must(t, err)
	equal(t, "aliases", len(got), 0)
}

func aliasUnknownPrincipal(t *testing.T, s store.Store) {
	err := s.PutAlias(t.Context(), store.Alias{Type: "email",
		Value: "ghost@example.com", PrincipalID: "ghost"})
	wantField(t, err, "principal_id")
}

func aliasReplace(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	a := store.Alias{Type: "access_key_id", Value: "AKIAEXAMPLE",
		PrincipalID: "alice", CredentialID: "old-key"}
	must(t, s.PutAlias(t.Context(), a))
	a.CredentialID = "new-key"
	must(t, s.PutAlias(t.Context(), a))
	got, err := s.ResolveAlias(t.Context(), a.Type, a.Value)
	must(t, err)
	equal(t, "aliases", got, []store.Alias{a})
}

func aliasList(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	addPrincipal(t, s, "bob")
	want := []store.Alias{
		{Type: "email", Value: "alice@example.com", PrincipalID: "alice"},
		{Type: "user_id", Value: "00ualice", PrincipalID: "alice"},
		{Type: "secret_hash", Value: "sha256:ab", PrincipalID: "alice",
			CredentialID: "alice-key"},
	}
	for _, a := range append(want, store.Alias{Type: "email",
		Value: "bob@example.com", PrincipalID: "bob"}) {
		must(t, s.PutAlias(t.Context(), a))
	}
	got, err := s.ListAliases(t.Context(), "alice")
	must(t, err)
	key := func(a store.Alias) string { return a.Type + "=" + a.Value }
	sameSet(t, "aliases", ids(got, key), ids(want, key))
	for _, a := range got {
		if a.Type == "secret_hash" && a.CredentialID != "alice-key" {
			t.Fatalf("credential of %s = %q, want alice-key", key(a),
				a.CredentialID)
		}
	}
}
