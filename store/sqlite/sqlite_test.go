package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
	"github.com/killswitch-dev/killswitch/store/storetest"
)

// openFile opens a registry at a fresh file and closes it after the test.
func openFile(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "registry.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openFile(t)
		return s
	})
}

func TestConformanceInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(t.Context(), ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// must fails the test at once on an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rawDB opens the registry file with database/sql, as an intruder would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
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
func wantChain(t *testing.T, s *sqlite.Store, n int) {
	t.Helper()
	es, err := s.ListAudit(t.Context(), store.AuditFilter{})
	must(t, err)
	if _, err := store.VerifyChain(es, store.GenesisHash, 0); err != nil {
		t.Fatalf("verify chain: %v", err)
	}
	if len(es) != n {
		t.Fatalf("chain of %d entries, want %d", len(es), n)
	}
}

func TestReopeningKeepsData(t *testing.T) {
	s, path := openFile(t)
	ctx := t.Context()
	must(t, s.PutPrincipal(ctx, store.Principal{ID: "alice",
		Kind: store.KindHuman}))
	must(t, s.AppendAudit(ctx, entries("alice", 3)...))
	must(t, s.Close())

	s, err := sqlite.Open(ctx, path)
	must(t, err)
	defer s.Close()
	if _, err := s.GetPrincipal(ctx, "alice"); err != nil {
		t.Fatalf("principal after reopening: %v", err)
	}
	must(t, s.AppendAudit(ctx, entries("alice", 1)...))
	wantChain(t, s, 4)
}

func TestMigrationsAreIdempotent(t *testing.T) {
	s, path := openFile(t)
	must(t, s.Close())
	for range 2 {
		s, err := sqlite.Open(t.Context(), path)
		must(t, err)
		must(t, s.Close())
	}
	var applied, tables int
	db := rawDB(t, path)
	must(t, db.QueryRow(`SELECT count(*) FROM goose_db_version
		WHERE version_id > 0`).Scan(&applied))
	must(t, db.QueryRow(`SELECT count(*) FROM sqlite_master
		WHERE type = 'table' AND name IN ('principals', 'aliases',
		'sessions', 'credentials', 'locks', 'actions', 'signals', 'audit')`).
		Scan(&tables))
	files, err := filepath.Glob("migrations/*.sql")
	must(t, err)
	if applied != len(files) || tables != 8 {
		t.Fatalf("applied migrations = %d, tables = %d; want %d and 8",
			applied, tables, len(files))
	}
}

func TestOpeningANewFileAtOnceMigratesItOnce(t *testing.T) {
	for range 2 {
		path := filepath.Join(t.TempDir(), "registry.db")
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				s, err := sqlite.Open(t.Context(), path)
				if err != nil {
					t.Error(err)
					return
				}
				s.Close()
			})
		}
		wg.Wait()
	}
}

func TestTamperedAuditFailsAtThatEntry(t *testing.T) {
	s, path := openFile(t)
	must(t, s.AppendAudit(t.Context(), entries("alice", 5)...))
	db := rawDB(t, path)
	edit := `UPDATE audit SET details = '{"i": 99}' WHERE seq = 3`
	if _, err := db.Exec(edit); err == nil {
		t.Fatal("an audit row was updated despite the append-only trigger")
	}
	_, err := db.Exec(`DROP TRIGGER audit_no_update`)
	must(t, err)
	_, err = db.Exec(edit)
	must(t, err)

	es, err := s.ListAudit(t.Context(), store.AuditFilter{})
	must(t, err)
	_, err = store.VerifyChain(es, store.GenesisHash, 0)
	var chainErr *store.ChainError
	if !errors.As(err, &chainErr) || chainErr.Seq != 3 {
		t.Fatalf("verify tampered chain: %v, want a break at entry 3", err)
	}
}

func TestTwoStoresOnOneFileKeepOneChain(t *testing.T) {
	first, path := openFile(t)
	second, err := sqlite.Open(t.Context(), path)
	must(t, err)
	defer second.Close()
	var wg sync.WaitGroup
	for i, s := range []*sqlite.Store{first, second} {
		wg.Go(func() {
			for range 20 {
				if err := s.AppendAudit(t.Context(),
					entries(fmt.Sprint("store-", i), 2)...); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	wantChain(t, first, 80)
}

func TestOpenRefusesBadPaths(t *testing.T) {
	notDB := filepath.Join(t.TempDir(), "notes.txt")
	must(t, os.WriteFile(notDB, []byte("not a database, just words\n"), 0o600))
	cases := []struct{ name, path string }{
		{"An empty path is refused", ""},
		{"A path with a query is refused", "registry.db?mode=ro"},
		{"A file that is not a database is refused", notDB},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := sqlite.Open(context.Background(), c.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", c.path)
			}
			t.Logf("Open(%q): %v", c.path, err)
		})
	}
}
