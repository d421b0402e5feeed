// Package sqlite is the embedded registry backend: store.Store on one
// SQLite file, through the pure-Go driver modernc.org/sqlite.
//
// The file runs in WAL mode. Writes go through a pool of one connection
// and begin with BEGIN IMMEDIATE, so goroutines of one process queue for
// the writer and other processes wait up to the busy timeout instead of
// failing with SQLITE_BUSY. Reads use a separate pool and never block the
// writer. Open applies the embedded migrations (migrations/*.sql) with
// goose before it returns.
//
// Records inserted with an empty ID get a generated one: a prefix naming
// the record ("ses_", "cred_", "lck_", "sig_", "act_") and a ULID, so ids
// sort by creation time. Principals are named by their owners and must
// come with an id.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/internal/sqlstore"
)

// busyTimeout is how long a connection waits for another process's write
// lock before it gives up with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// readConns is the size of the read pool.
const readConns = 4

// Store is the SQLite registry. It is safe for concurrent use.
type Store struct {
	// Store is the SQL the two backends share (store/internal/sqlstore):
	// most store.Store methods are its.
	*sqlstore.Store
	write *sql.DB
	read  *sql.DB
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it if needed) the registry at path and migrates it
// to the current schema. The path ":memory:" opens a private in-memory
// registry on a single connection, for tests; prefer a temporary file.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite store: path: required")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open sqlite store: path %q: "+
			"must be a file name without '?' or '#'", path)
	}
	s, err := openPools(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	if err := migrate(ctx, s.write); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	return s, nil
}

// openPools opens the write pool and, for a file, the read pool.
func openPools(path string) (*Store, error) {
	write, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	if path == ":memory:" {
		return withShared(&Store{write: write, read: write}), nil
	}
	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(readConns)
	read.SetMaxIdleConns(readConns)
	return withShared(&Store{write: write, read: read}), nil
}

// dsn is the data source name for path. The pragmas are in the DSN so
// that every connection a pool opens gets them.
func dsn(path string, readOnly bool) string {
	q := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
		"_pragma=journal_mode(WAL)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
	}
	if readOnly {
		q = append(q, "_pragma=query_only(1)")
	} else {
		q = append(q, "_txlock=immediate")
	}
	return "file:" + path + "?" + strings.Join(q, "&")
}

// Close closes both connection pools.
func (s *Store) Close() error {
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	if err != nil {
		return fmt.Errorf("close sqlite store: %w", err)
	}
	return nil
}

// inWrite runs fn in a write transaction and commits it, or rolls it back
// when fn fails. Errors are wrapped with op.
func (s *Store) inWrite(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", op, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
}
