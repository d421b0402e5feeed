package postgres_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/postgres/pgtest"
	"github.com/killswitch-dev/killswitch/store/storetest"
)

// open opens a registry in a fresh schema and closes it after the test.
func open(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// must fails the test at once on an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rawDB connects to the registry at url with database/sql, as an
// operator's psql would.
func rawDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// entries returns n audit entries about subject.
func entries(subject string, n int) []store.AuditEntry {
	es := make([]store.AuditEntry, n)
	for i := range es {
		es[i] = store.AuditEntry{Actor: "test", Event: "note",
			Subject: subject, Details: json.RawMessage(
				fmt.Sprintf(`{"i": %d}`, i))}
	}
	return es
}

// wantChain fails the test unless the trail of s is one valid chain of
// n entries.
func wantChain(t *testing.T, s store.Store, n int64) {
	t.Helper()
	got, err := store.VerifyAudit(t.Context(), s)
	if err != nil {
		t.Fatalf("verify chain: %v", err)
	}
	if got != n {
		t.Fatalf("chain of %d entries, want %d", got, n)
	}
}

func TestReopeningKeepsData(t *testing.T) {
	url := pgtest.Schema(t)
	ctx := t.Context()
	s, err := postgres.Open(ctx, url)
	must(t, err)
	must(t, s.PutPrincipal(ctx, store.Principal{ID: "alice",
		Kind: store.KindHuman}))
	must(t, s.AppendAudit(ctx, entries("alice", 3)...))
	must(t, s.Close())

	s, err = postgres.Open(ctx, url)
	must(t, err)
	defer s.Close()
	if _, err := s.GetPrincipal(ctx, "alice"); err != nil {
		t.Fatalf("principal after reopening: %v", err)
	}
	must(t, s.AppendAudit(ctx, entries("alice", 1)...))
	wantChain(t, s, 4)
}

func TestOpeningANewRegistryAtOnceMigratesItOnce(t *testing.T) {
	url := pgtest.Schema(t)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Error(err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	files, err := filepath.Glob("migrations/*.sql")
	must(t, err)
	var applied int
	must(t, rawDB(t, url).QueryRow(`SELECT count(*) FROM goose_db_version
		WHERE version_id > 0`).Scan(&applied))
	if applied != len(files) {
		t.Fatalf("applied migrations = %d, want %d", applied, len(files))
	}
}

func TestARegistryANewerBinaryMigratedIsRefused(t *testing.T) {
	url := pgtest.Schema(t)
	s, err := postgres.Open(t.Context(), url)
	must(t, err)
	must(t, s.Close())
	_, err = rawDB(t, url).Exec(`INSERT INTO goose_db_version
		(version_id, is_applied) VALUES (9001, true)`)
	must(t, err)
	s, err = postgres.Open(t.Context(), url)
	if err == nil {
		s.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "9001") ||
		!strings.Contains(err.Error(), "newer killswitch") {
		t.Fatalf("open = %v, want it refused naming migration 9001 and "+
			"a newer killswitch", err)
	}
}

func TestTamperedAuditFailsAtThatEntry(t *testing.T) {
	url := pgtest.Schema(t)
	s, err := postgres.Open(t.Context(), url)
	must(t, err)
	defer s.Close()
	must(t, s.AppendAudit(t.Context(), entries("alice", 5)...))
	db := rawDB(t, url)
	edit := `UPDATE audit SET details = '{"i": 99}' WHERE seq = 3`
	if _, err := db.Exec(edit); err == nil {
		t.Fatal("an audit row was updated despite the append-only trigger")
	}
	for _, q := range []string{`DELETE FROM audit WHERE seq = 5`,
		`TRUNCATE audit`} {
		if _, err := db.Exec(q); err == nil {
			t.Fatalf("%s succeeded despite the append-only triggers", q)
		}
	}
	_, err = db.Exec(`DROP TRIGGER audit_no_update ON audit`)
	must(t, err)
	_, err = db.Exec(edit)
	must(t, err)

	n, err := store.VerifyAudit(t.Context(), s)
	var chainErr *store.ChainError
	if !errors.As(err, &chainErr) || chainErr.Seq != 3 || n != 2 {
		t.Fatalf("verify tampered chain: %d good, %v; want a break at "+
			"entry 3 after 2 good ones", n, err)
	}
}

func TestOpenNeverShowsThePassword(t *testing.T) {
	const pw = "s3cret-Pa55"
	cases := []struct{ name, url string }{
		{"A password in the user part", "postgres://ks:" + pw +
			"@127.0.0.1:1/test?sslmode=disable&connect_timeout=2"},
		{"A password as a parameter", "postgresql://ks@127.0.0.1:1/test?" +
			"sslmode=disable&connect_timeout=2&password=" + pw},
		{"A URL pgx cannot parse", "postgres://ks:" + pw +
			"@127.0.0.1:1/test?sslmode=bogus"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := postgres.Open(t.Context(), c.url)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded", postgres.Redact(c.url))
			}
			if strings.Contains(err.Error(), pw) {
				t.Fatalf("the error shows the password: %v", err)
			}
			if r := postgres.Redact(c.url); strings.Contains(r, pw) {
				t.Fatalf("Redact shows the password: %s", r)
			}
			t.Logf("Open: %v", err)
		})
	}
}

func TestIsURL(t *testing.T) {
	for name, want := range map[string]bool{
		"postgres://ks@db/ks":   true,
		"postgresql://ks@db/ks": true,
		"POSTGRES://ks@db/ks":   true,
		"killswitch.db":         false,
		"/var/lib/ks/postgres":  false,
		"postgres.db":           false,
	} {
		if got := postgres.IsURL(name); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestAnOriginIsInANetworkAsNetipSaysSo: the network filter of
// ListSessions runs in SQL (killswitch_in_network); it must agree with
// Go's netip, which store/sqlite's function uses, on every shape of
// origin a session may carry.
func TestAnOriginIsInANetworkAsNetipSaysSo(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	must(t, s.PutPrincipal(ctx, store.Principal{ID: "alice",
		Kind: store.KindHuman}))
	ips := []string{"198.51.100.20", "::ffff:198.51.100.21",
		"198.51.101.1", "2001:db8::7", "fe80::1%eth0", "", "not an ip",
		"198.51.100.22/24", "198.51.100", " 198.51.100.23",
		"198.51.100.024", "::ffff:198.051.100.25"}
	for i, ip := range ips {
		must(t, s.PutSession(ctx, store.Session{ID: fmt.Sprint("s", i),
			PrincipalID: "alice", Origin: store.Origin{IP: ip}}))
	}
	for _, p := range []string{"198.51.100.0/24", "198.51.100.7/24",
		"2001:db8::/32", "::ffff:198.51.100.0/120", "fe80::/10"} {
		prefix := netip.MustParsePrefix(p)
		var want []string
		for i, ip := range ips {
			if a, err := netip.ParseAddr(ip); err == nil &&
				prefix.Contains(a.Unmap()) {
				want = append(want, fmt.Sprint("s", i))
			}
		}
		got, err := s.ListSessions(ctx, store.SessionFilter{Network: prefix})
		must(t, err)
		var ids []string
		for _, ses := range got {
			ids = append(ids, ses.ID)
		}
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("sessions in %s = %q, want %q", p, ids, want)
		}
	}
}

// TestTextPostgreSQLCannotKeepIsInvalid: PostgreSQL's text holds no NUL
// character and nothing that is not UTF-8, which SQLite keeps; such a
// value is store.ErrInvalid, naming the operation, like any other
// record the store refuses.
func TestTextPostgreSQLCannotKeepIsInvalid(t *testing.T) {
	s := open(t)
	for _, name := range []string{"nul\x00byte", "latin-1 \xe9t\xe9"} {
		err := s.PutPrincipal(t.Context(), store.Principal{ID: "alice",
			Kind: store.KindHuman, DisplayName: name})
		if !errors.Is(err, store.ErrInvalid) ||
			!strings.Contains(err.Error(), `put principal "alice"`) {
			t.Errorf("put a principal named %q: %v, want an ErrInvalid "+
				"naming the principal", name, err)
		}
	}
}

func TestOpenExistingRefusesASchemaWithoutARegistry(t *testing.T) {
	url := pgtest.Schema(t)
	s, err := postgres.OpenExisting(t.Context(), url)
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, postgres.ErrNoRegistry) {
		t.Fatalf("open existing on an empty schema: %v, want ErrNoRegistry",
			err)
	}
	s, err = postgres.Open(t.Context(), url)
	must(t, err)
	must(t, s.Close())
	s, err = postgres.OpenExisting(t.Context(), url)
	must(t, err)
	must(t, s.Close())
}

func TestIsKeywordDSN(t *testing.T) {
	for name, want := range map[string]bool{
		"host=db user=ks password=pw dbname=ks": true,
		"password=pw":                           true,
		"dbname=ks sslmode=disable":             true,
		"killswitch.db":                         false,
		"/srv/ks/a=b.db":                        false,
		"postgres://ks@db/ks":                   false,
		"":                                      false,
	} {
		if got := postgres.IsKeywordDSN(name); got != want {
			t.Errorf("IsKeywordDSN(%q) = %v, want %v", name, got, want)
		}
	}
}
