package inventorysync

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// idp is a provider whose listing per principal the test sets.
type idp struct {
	listings map[string]connectors.Listing
	fail     map[string]bool
}

func (idp) Provider() string { return "idp" }

func (idp) Revoke(context.Context, connectors.Request) connectors.Result {
	return connectors.Result{Outcome: connectors.Done}
}

func (p *idp) List(_ context.Context, pr store.Principal,
	_ []store.Alias) (connectors.Listing, error) {
	if p.fail[pr.ID] {
		return connectors.Listing{}, errors.New("idp: status 503")
	}
	return p.listings[pr.ID], nil
}

func session(ext string, created time.Time) store.Session {
	return store.Session{ExternalID: ext, Kind: "browser",
		CreatedAt: created, Effect: store.EffectImmediate}
}

func TestSyncAddsRefreshesAndEnds(t *testing.T) {
	st, p := open(t), &idp{listings: map[string]connectors.Listing{}}
	s := New(st, set(t, p), func() time.Time { return t0 }, discard())
	p.listings["ada"] = connectors.Listing{SessionsListed: true,
		Sessions: []store.Session{session("s1", t0), session("s2", t0)},
		Aliases:  []store.Alias{{Type: "idp_user", Value: "u-1"}}}
	sync(t, s, "")
	wantStatus(t, st, map[string]string{"s1": "active", "s2": "active"})

	p.listings["ada"] = connectors.Listing{SessionsListed: true,
		Sessions: []store.Session{session("s2", t0), session("s3", t0)}}
	r := sync(t, s, "idp")[0]
	wantStatus(t, st, map[string]string{"s1": "expired", "s2": "active",
		"s3": "active"})
	if r.Added != 1 || r.Refreshed != 1 || r.Ended != 1 {
		t.Fatalf("report %+v, want 1 added, 1 refreshed, 1 ended", r)
	}
	wantAlias(t, st, "idp_user", "u-1")
	wantEndedBySync(t, st, "s1")
}

func TestSyncLeavesWhatItCannotSee(t *testing.T) {
	cases := []struct {
		name    string
		listing connectors.Listing
		fail    bool
		want    map[string]string
	}{
		{"A provider that does not know the principal ends nothing",
			connectors.Listing{}, false, map[string]string{"s1": "active"}},
		{"A provider that fails for the principal ends nothing",
			connectors.Listing{}, true, map[string]string{"s1": "active"}},
		{"A partial listing adds but ends nothing",
			connectors.Listing{Sessions: []store.Session{session("s9", t0)}},
			false, map[string]string{"s1": "active", "s9": "active"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t)
			putSession(t, st, "s1", store.StatusActive)
			p := &idp{listings: map[string]connectors.Listing{
				"ada": tc.listing}, fail: map[string]bool{"ada": tc.fail}}
			r := sync(t, New(st, set(t, p), time.Now, discard()), "")[0]
			wantStatus(t, st, tc.want)
			if tc.fail != (len(r.Failures) == 1) {
				t.Fatalf("failures %+v, want one only when the provider fails",
					r.Failures)
			}
		})
	}
}

func TestSyncDoesNotRevive(t *testing.T) {
	st := open(t)
	putSession(t, st, "s1", store.StatusRevoked)
	p := &idp{listings: map[string]connectors.Listing{"ada": {
		SessionsListed: true, Sessions: []store.Session{session("s1", t0)}}}}
	r := sync(t, New(st, set(t, p), time.Now, discard()), "")[0]
	wantStatus(t, st, map[string]string{"s1": "revoked"})
	if r.StillListed != 1 {
		t.Fatalf("report %+v, want the revoked session still listed", r)
	}
}

func TestSyncOfAnUnknownProviderIsAnError(t *testing.T) {
	s := New(open(t), set(t, &idp{}), time.Now, discard())
	if _, err := s.Sync(t.Context(), "okta"); err == nil {
		t.Fatal("syncing a provider with no listing connector succeeded")
	}
}

func TestSyncWritesCredentials(t *testing.T) {
	st := open(t)
	p := &idp{listings: map[string]connectors.Listing{"ada": {
		CredentialsListed: true, Credentials: []store.Credential{{
			ExternalID: "AKIA1", Kind: "access_key", CreatedAt: t0,
			LastUsedAt: t0.Add(time.Hour), Effect: store.EffectEventual}}}}}
	sync(t, New(st, set(t, p), time.Now, discard()), "")
	cs, err := st.ListCredentials(t.Context(), store.CredentialFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("credentials %+v, %v; want one", cs, err)
	}
	c := cs[0]
	if c.Store != "idp" || c.PrincipalID != "ada" || c.Status != "active" ||
		!c.LastUsedAt.Equal(t0.Add(time.Hour)) || c.Effect != "eventual" {
		t.Fatalf("credential %+v, not as listed", c)
	}
	p.listings["ada"] = connectors.Listing{CredentialsListed: true}
	sync(t, New(st, set(t, p), time.Now, discard()), "")
	c, err = st.GetCredential(t.Context(), c.ID)
	if err != nil || c.Status != store.StatusExpired {
		t.Fatalf("credential no longer listed: %+v, %v; want expired", c, err)
	}
}

func sync(t *testing.T, s *Syncer, provider string) []Report {
	t.Helper()
	r, err := s.Sync(t.Context(), provider)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func open(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ks.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.PutPrincipal(t.Context(), store.Principal{ID: "ada",
		Kind: store.KindHuman, Status: "active", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func putSession(t *testing.T, st store.Store, ext, status string) {
	t.Helper()
	s := session(ext, t0)
	s.ID, s.PrincipalID, s.Provider, s.Status = "pre-"+ext, "ada", "idp", status
	if err := st.PutSession(t.Context(), s); err != nil {
		t.Fatal(err)
	}
}

func set(t *testing.T, cs ...connectors.Connector) connectors.Set {
	t.Helper()
	s, err := connectors.NewSet(cs...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// wantStatus checks the status of ada's idp sessions by external id.
func wantStatus(t *testing.T, st store.Store, want map[string]string) {
	t.Helper()
	ss, err := st.ListSessions(t.Context(), store.SessionFilter{Provider: "idp"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range ss {
		got[s.ExternalID] = s.Status
	}
	if len(got) != len(want) {
		t.Fatalf("sessions %v, want %v", got, want)
	}
	for ext, w := range want {
		if got[ext] != w {
			t.Fatalf("sessions %v, want %v", got, want)
		}
	}
}

func wantAlias(t *testing.T, st store.Store, typ, value string) {
	t.Helper()
	as, err := st.ResolveAlias(t.Context(), typ, value)
	if err != nil || len(as) != 1 || as[0].PrincipalID != "ada" {
		t.Fatalf("alias %s=%s resolves to %+v, %v; want ada", typ, value, as, err)
	}
}

func wantEndedBySync(t *testing.T, st store.Store, ext string) {
	t.Helper()
	ss, err := st.ListSessions(t.Context(), store.SessionFilter{ExternalID: ext})
	if err != nil || len(ss) != 1 {
		t.Fatalf("session %s: %+v, %v", ext, ss, err)
	}
	if r := ss[0].Revocation; r == nil || r.By != "sync:idp" || r.Reason == "" {
		t.Fatalf("session %s ended with %+v, want by sync:idp with a reason",
			ext, r)
	}
}
