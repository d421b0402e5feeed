package inventory_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// now is the import time of the tests.
var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// full is an inventory with every kind of record and field.
const full = `
principals:
  - id: alice
    kind: human
    display_name: Alice Nguyen
    owner: security@example.com
    break_glass: false
    labels: {team: payments}
    aliases:
      - {type: email, value: alice@example.com}
      - {type: user_id, value: 00ualiceDEMO00000001}
    credentials:
      - id: alice-aws-key
        kind: access_key
        store: aws
        external_id: AKIAALICEDEMO0000001
        fingerprint: sha256:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
        created_at: -400d
        last_used_at: -1h
        expires_at: ""
        exposure: {at: -3d, source: github_secret_scanning, where: acme/x}
        aliases: [{type: access_key_id, value: AKIAALICEDEMO0000001}]
    sessions:
      - id: alice-okta-web
        provider: okta
        external_id: 102aliceOKTA
        kind: browser
        origin: {ip: 198.51.100.20, device: macbook, user_agent: Mozilla/5.0, country: US}
        credential: alice-aws-key
        created_at: -2h
        last_seen_at: -5m
        expires_at: +10h
  - id: ci-bot
    kind: service_account
    status: disabled
    created_at: 2025-01-02T03:04:05.123456789+02:00
    sessions:
      - {id: ci-run, provider: github, kind: api, status: revoked}
locks:
  - {id: lock-1, target_type: principal, target: alice, reason: takeover, expires_at: +1d}
`

// openStore opens a fresh SQLite registry for one test.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// must fails the test at once on an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestImportRoundTrip(t *testing.T) {
	f, err := inventory.Parse([]byte(full), "inventory.yaml")
	must(t, err)
	s := openStore(t)
	for range 2 {
		n, err := f.Import(t.Context(), s, now)
		must(t, err)
		want := "2 principals, 4 aliases, 1 credential, 2 sessions, 1 lock"
		if n.String() != want {
			t.Fatalf("counts = %q, want %q", n, want)
		}
	}
	checkPrincipals(t, s)
	checkCredential(t, s)
	checkAliases(t, s)
	checkSessions(t, s)
	locks, err := s.ListLocks(t.Context(), time.Time{})
	must(t, err)
	if len(locks) != 1 || !locks[0].ExpiresAt.Equal(now.Add(24*time.Hour)) {
		t.Fatalf("locks = %+v, want lock-1 expiring a day after import", locks)
	}
}

func checkPrincipals(t *testing.T, s store.Store) {
	t.Helper()
	alice, err := s.GetPrincipal(t.Context(), "alice")
	must(t, err)
	if alice.Kind != store.KindHuman || alice.Status != store.StatusActive ||
		alice.Labels["team"] != "payments" || !alice.CreatedAt.Equal(now) {
		t.Errorf("alice = %+v", alice)
	}
	bot, err := s.GetPrincipal(t.Context(), "ci-bot")
	must(t, err)
	created := time.Date(2025, 1, 2, 1, 4, 5, 123456000, time.UTC)
	if bot.Status != "disabled" || !bot.CreatedAt.Equal(created) {
		t.Errorf("ci-bot = %+v, want disabled, created %s", bot, created)
	}
}

func checkCredential(t *testing.T, s store.Store) {
	t.Helper()
	c, err := s.GetCredential(t.Context(), "alice-aws-key")
	must(t, err)
	day := 24 * time.Hour
	want := store.Exposure{At: now.Add(-3 * day),
		Source: "github_secret_scanning", Where: "acme/x"}
	switch {
	case c.PrincipalID != "alice" || c.Status != store.StatusActive:
		t.Errorf("credential = %+v", c)
	case !c.CreatedAt.Equal(now.Add(-400*day)) || !c.ExpiresAt.IsZero():
		t.Errorf("created %s, expires %s", c.CreatedAt, c.ExpiresAt)
	case c.Exposure == nil || *c.Exposure != want:
		t.Errorf("exposure = %+v, want %+v", c.Exposure, want)
	}
}

func checkAliases(t *testing.T, s store.Store) {
	t.Helper()
	as, err := s.ListAliases(t.Context(), "alice")
	must(t, err)
	got := map[string]string{}
	for _, a := range as {
		got[a.Type] = a.CredentialID
	}
	want := map[string]string{"email": "", "user_id": "",
		"access_key_id": "alice-aws-key", "secret_hash": "alice-aws-key"}
	if len(got) != len(want) || len(as) != len(want) {
		t.Fatalf("aliases = %+v, want types %v", as, want)
	}
	for typ, cred := range want {
		if c, ok := got[typ]; !ok || c != cred {
			t.Errorf("alias %s: credential %q, want %q", typ, c, cred)
		}
	}
}

func checkSessions(t *testing.T, s store.Store) {
	t.Helper()
	web, err := s.GetSession(t.Context(), "alice-okta-web")
	must(t, err)
	origin := store.Origin{IP: "198.51.100.20", Device: "macbook",
		UserAgent: "Mozilla/5.0", Country: "US"}
	switch {
	case web.Origin != origin || web.CredentialID != "alice-aws-key":
		t.Errorf("session = %+v", web)
	case !web.LastSeenAt.Equal(now.Add(-5*time.Minute)) ||
		!web.ExpiresAt.Equal(now.Add(10*time.Hour)):
		t.Errorf("last seen %s, expires %s", web.LastSeenAt, web.ExpiresAt)
	}
	run, err := s.GetSession(t.Context(), "ci-run")
	must(t, err)
	if run.Status != store.StatusRevoked || !run.CreatedAt.Equal(now) {
		t.Errorf("ci-run = %+v, want revoked, created at import", run)
	}
}

func TestParseReadsJSON(t *testing.T) {
	f, err := inventory.Parse([]byte(`{"principals": [{"id": "svc",
		"kind": "workload", "sessions": [{"id": "s1", "provider": "k8s",
		"kind": "token", "created_at": "-1h"}]}]}`), "inventory.json")
	must(t, err)
	n, err := f.Import(t.Context(), openStore(t), now)
	must(t, err)
	if want := "1 principal, 0 aliases, 0 credentials, 1 session"; n.String() != want {
		t.Fatalf("counts = %q, want %q", n, want)
	}
}

func TestImportWritesNothingWhenARecordIsBad(t *testing.T) {
	f := &inventory.File{Principals: []inventory.Principal{
		{ID: "alice", Kind: "human"}, {ID: "bob", Kind: "robot"}}}
	s := openStore(t)
	if _, err := f.Import(t.Context(), s, now); err == nil {
		t.Fatal("a file with an unknown kind was imported")
	}
	ps, err := s.ListPrincipals(t.Context(), store.PrincipalFilter{})
	must(t, err)
	if len(ps) != 0 {
		t.Fatalf("principals written = %d, want 0", len(ps))
	}
}

func TestDemoInventoryImports(t *testing.T) {
	f, err := inventory.Load("../../testdata/inventory.yaml")
	must(t, err)
	n, err := f.Import(t.Context(), openStore(t), now)
	must(t, err)
	if n.Principals == 0 || n.Sessions == 0 {
		t.Fatalf("imported %s", n)
	}
}

func TestLoadNamesAMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	_, err := inventory.Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load(%q) = %v, want an error naming the file", path, err)
	}
}
