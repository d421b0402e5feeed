package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

var credentialTests = []test{
	{"A credential reads back as it was written", credentialRoundTrip},
	{"A revoked credential reads back with its revocation",
		credentialRevokedRoundTrip},
	{"A credential of an unknown principal is invalid",
		credentialUnknownPrincipal},
	{"A credential without an id gets one", credentialNoID},
	{"An unknown credential is not found", credentialNotFound},
	{"Credentials are filtered by principal, status and limit",
		credentialFilter},
	{"Revoking a credential reports whether it changed", credentialRevoke},
	{"Revoking an unknown credential is not found",
		credentialRevokeNotFound},
	{"Marking a credential exposed keeps the earliest exposure",
		credentialExposure},
	{"Marking an unknown credential exposed is not found",
		credentialExposureNotFound},
}

// awsKey is an exposed access key of alice with every field set but the
// revocation.
func awsKey() store.Credential {
	return store.Credential{ID: "alice-aws-key", PrincipalID: "alice",
		Kind: "access_key", Store: "aws", ExternalID: "AKIAALICEDEMO0000001",
		Fingerprint: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b",
		CreatedAt:   base.Add(-400 * 24 * time.Hour),
		RotatedAt:   base.Add(-90 * 24 * time.Hour),
		LastUsedAt:  base.Add(-time.Hour),
		ExpiresAt:   base.Add(30 * 24 * time.Hour),
		Exposure: &store.Exposure{At: base.Add(-72 * time.Hour),
			Source: "github_secret_scanning", Where: "acme/x"},
		Status: store.StatusActive}
}

// normalCredential is c with its times as a store keeps them.
func normalCredential(c store.Credential) store.Credential {
	for _, p := range []*time.Time{&c.CreatedAt, &c.RotatedAt,
		&c.LastUsedAt, &c.ExpiresAt} {
		*p = store.NormalizeTime(*p)
	}
	if e := c.Exposure; e != nil {
		c.Exposure = &store.Exposure{At: store.NormalizeTime(e.At),
			Source: e.Source, Where: e.Where}
	}
	if r := c.Revocation; r != nil {
		c.Revocation = normalSession(store.Session{Revocation: r}).Revocation
	}
	return c
}

// putCredentials stores credentials, failing the test on an error.
func putCredentials(t *testing.T, s store.Store, cs ...store.Credential) {
	t.Helper()
	for _, c := range cs {
		must(t, s.PutCredential(t.Context(), c))
	}
}

func credentialRoundTrip(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	putCredentials(t, s, awsKey())
	got, err := s.GetCredential(t.Context(), "alice-aws-key")
	must(t, err)
	equal(t, "credential", got, normalCredential(awsKey()))
}

func credentialRevokedRoundTrip(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	c := store.Credential{ID: "alice-pat", PrincipalID: "alice",
		Kind: "token", Store: "github", CreatedAt: base,
		Status: store.StatusRevoked, Revocation: &store.Revocation{
			At: base, By: "operator:dana", Reason: "left the team"}}
	putCredentials(t, s, c)
	got, err := s.GetCredential(t.Context(), c.ID)
	must(t, err)
	equal(t, "credential", got, normalCredential(c))
}

func credentialUnknownPrincipal(t *testing.T, s store.Store) {
	wantField(t, s.PutCredential(t.Context(), awsKey()), "principal_id")
	_, err := s.GetCredential(t.Context(), "alice-aws-key")
	wantErr(t, err, store.ErrNotFound)
}

func credentialNoID(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	c := awsKey()
	c.ID = ""
	putCredentials(t, s, c)
	got, err := s.ListCredentials(t.Context(),
		store.CredentialFilter{PrincipalID: "alice"})
	must(t, err)
	if len(got) != 1 || got[0].ID == "" {
		t.Fatalf("credentials = %+v, want one with an id", got)
	}
}

func credentialNotFound(t *testing.T, s store.Store) {
	_, err := s.GetCredential(t.Context(), "nothing")
	wantErr(t, err, store.ErrNotFound)
}

func credentialFilter(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	addPrincipal(t, s, "bob")
	putCredentials(t, s,
		store.Credential{ID: "c1", PrincipalID: "alice", CreatedAt: second(1)},
		store.Credential{ID: "c2", PrincipalID: "alice", CreatedAt: second(2),
			Status: store.StatusRevoked},
		store.Credential{ID: "c3", PrincipalID: "bob", CreatedAt: second(3)})
	cases := []struct {
		name string
		f    store.CredentialFilter
		want []string
	}{
		{"No filter matches every credential", store.CredentialFilter{},
			[]string{"c1", "c2", "c3"}},
		{"Principal matches that principal's credentials",
			store.CredentialFilter{PrincipalID: "alice"},
			[]string{"c1", "c2"}},
		{"Status matches that status only",
			store.CredentialFilter{Status: store.StatusActive},
			[]string{"c1", "c3"}},
		{"Principal and status both apply", store.CredentialFilter{
			PrincipalID: "alice", Status: store.StatusRevoked},
			[]string{"c2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListCredentials(t.Context(), c.f)
			must(t, err)
			sameSet(t, "credentials", ids(got, credentialID), c.want)
		})
	}
	got, err := s.ListCredentials(t.Context(), store.CredentialFilter{Limit: 2})
	must(t, err)
	equal(t, "credentials under a limit of 2", len(got), 2)
}

func credentialRevoke(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	putCredentials(t, s, awsKey())
	first := store.Revocation{At: base, By: "policy:leaked_key",
		Reason: "exposed", SignalID: "sig-1", ActionID: "act-1"}
	c, changed, err := s.RevokeCredential(t.Context(), "alice-aws-key", first)
	must(t, err)
	want := awsKey()
	want.Status, want.Revocation = store.StatusRevoked, &first
	want = normalCredential(want)
	equal(t, "first call", [2]any{c, changed}, [2]any{want, true})
	c, changed, err = s.RevokeCredential(t.Context(), "alice-aws-key",
		store.Revocation{At: base.Add(time.Hour), By: "operator:dana"})
	must(t, err)
	equal(t, "second call", [2]any{c, changed}, [2]any{want, false})
	stored, err := s.GetCredential(t.Context(), "alice-aws-key")
	must(t, err)
	equal(t, "stored", stored, want)
}

func credentialRevokeNotFound(t *testing.T, s store.Store) {
	_, _, err := s.RevokeCredential(t.Context(), "nothing",
		store.Revocation{At: base, By: "operator:dana"})
	wantErr(t, err, store.ErrNotFound)
}

func credentialExposure(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	c := awsKey()
	c.Exposure = nil
	putCredentials(t, s, c)
	first := store.Exposure{At: base, Source: "gitguardian", Where: "gist"}
	earliest := store.Exposure{At: base.Add(-time.Hour), Source: "github"}
	steps := []struct{ e, want store.Exposure }{
		{first, first},
		{store.Exposure{At: base.Add(time.Hour), Source: "falco"}, first},
		{earliest, earliest},
	}
	for i, step := range steps {
		must(t, s.MarkExposed(t.Context(), c.ID, step.e))
		got, err := s.GetCredential(t.Context(), c.ID)
		must(t, err)
		c.Exposure = &step.want
		equal(t, fmt.Sprintf("after exposure %d", i+1), got,
			normalCredential(c))
	}
}

func credentialExposureNotFound(t *testing.T, s store.Store) {
	err := s.MarkExposed(t.Context(), "nothing",
		store.Exposure{At: base, Source: "github"})
	wantErr(t, err, store.ErrNotFound)
}
