package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestARegistryAheadOfALateMigrationOpens: a registry made by a binary
// that had migrations 1 to 6 but not 5 (5 landed later) opens, and gets
// 5 applied.
func TestARegistryAheadOfALateMigrationOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ks.db")
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	without := fstest.MapFS{}
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(dir, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if name == "0005_api.sql" {
			continue
		}
		b, err := fs.ReadFile(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		without[name] = &fstest.MapFile{Data: b}
	}
	p, err := providerOf(db, without)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := migrate(t.Context(), db); err != nil {
		t.Fatalf("migrate a registry past a missing lower version: %v", err)
	}
	var n int
	err = db.QueryRow(`SELECT count(*) FROM api_tokens`).Scan(&n)
	if err != nil {
		t.Fatalf("the late migration was not applied: %v", err)
	}
}

// TestARegistryANewerBinaryMigratedIsRefused: a registry migrated by a
// newer killswitch (a migration this binary does not know) was opened
// and written as if its schema were this binary's, whatever the newer
// migration changed; it is refused, naming the migration.
func TestARegistryANewerBinaryMigratedIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ks.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.write.ExecContext(t.Context(), `INSERT INTO goose_db_version
		(version_id, is_applied) VALUES (9001, 1)`)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), path)
	if err == nil || !strings.Contains(err.Error(), "9001") ||
		!strings.Contains(err.Error(), "newer killswitch") {
		t.Fatalf("open = %v, want it refused naming migration 9001 and "+
			"a newer killswitch", err)
	}
}
