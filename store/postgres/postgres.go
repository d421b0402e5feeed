// Package postgres is the registry backend that several killswitch
// instances share: store.Store on a PostgreSQL database, through pgx.
//
// It uses pgx's database/sql driver (github.com/jackc/pgx/v5/stdlib)
// rather than pgxpool: the SQL, the scanning and the transactions are
// those of store/sqlite, which is written against database/sql, so the
// two backends read alike and one conformance suite drives both; goose
// migrates through a *sql.DB too; and database/sql's pool, with pgx's
// statement cache per connection, is all one registry needs.
//
// Each write runs in a READ COMMITTED transaction that first takes the
// registry's write lock: a transaction-scoped advisory lock
// (pg_advisory_xact_lock) whose key is derived from the schema the
// registry lives in. Writers of one registry, in this process or any
// other instance on the database, therefore run one at a time, as
// SQLite's single writer does, and every read-then-write is as safe
// here: two instances never claim the same outbox action, never chain
// two audit entries onto one predecessor (a fork), never record one
// dedup key twice (the unique index would refuse the second anyway),
// and the numbers of registry_changes and revocation_log commit in the
// order they are drawn, as store.Changes requires. The lock is held
// only for the transaction's few statements; connector calls and policy
// evaluation happen outside it. Reads take no lock; ChangedSince reads
// in one REPEATABLE READ snapshot.
//
// Open applies the embedded migrations (migrations/*.sql) with goose,
// under a session advisory lock of the same schema, so that instances
// starting at once migrate once. The registry lives in the first schema
// of the connection's search_path (public unless the URL sets
// search_path=...), and several registries can share one database in
// different schemas.
//
// Records inserted with an empty ID get a generated one: a prefix naming
// the record ("ses_", "cred_", "lck_", "sig_", "act_") and a ULID, so ids
// sort by creation time. Principals are named by their owners and must
// come with an id.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/internal/sqlstore"
)

// maxConns bounds the connections one Store opens.
const maxConns = 8

// The high halves of the advisory lock keys; the low half is the oid of
// the registry's schema.
const (
	writeLockSpace   = 0x6b730001 // "ks", 1: the write lock
	migrateLockSpace = 0x6b730002 // "ks", 2: migrations
	// leaderLockSpace, "ks", 3: the leader (leader.go)
)

// Store is the PostgreSQL registry. It is safe for concurrent use, and
// any number of Stores, in any number of processes, may share one
// registry.
type Store struct {
	// Store is the SQL the two backends share (store/internal/sqlstore):
	// most store.Store methods are its.
	*sqlstore.Store
	db *pool
	// writeLock is the advisory lock key every write transaction takes.
	writeLock int64
	// lockDB holds the connections of principal locks (LockPrincipals);
	// schemaKey is the first half of their keys, the schema's oid.
	lockDB    *sql.DB
	schemaKey int32
	// leaderLock is the key of the leader's lock, taken on a connection
	// of its own made from connConfig (ElectLeader); connURL redacts
	// its errors.
	leaderLock int64
	connConfig *pgx.ConnConfig
	connURL    string
}

var _ store.Store = (*Store)(nil)

// IsURL reports whether name is a PostgreSQL connection URL
// (postgres:// or postgresql://) rather than an SQLite file's path.
func IsURL(name string) bool {
	lower := strings.ToLower(name)
	return strings.HasPrefix(lower, "postgres://") ||
		strings.HasPrefix(lower, "postgresql://")
}

// IsKeywordDSN reports whether name is a libpq connection string of
// key=value words (host=db user=ks password=...), which is not taken:
// a caller that would read it as an SQLite path refuses it instead, and
// never repeats it, since it may hold a password.
func IsKeywordDSN(name string) bool {
	words := strings.Fields(name)
	if len(words) == 0 {
		return false
	}
	known := false
	for _, w := range words {
		key, _, ok := strings.Cut(w, "=")
		if !ok {
			return false
		}
		switch key {
		case "host", "hostaddr", "port", "dbname", "user", "password",
			"sslmode", "search_path", "connect_timeout":
			known = true
		}
	}
	return known
}

// Redact returns the connection URL with its password replaced by
// "xxxxx", for logs and messages; a name it cannot parse is replaced
// whole, since it may hold a password.
func Redact(connURL string) string {
	u, err := url.Parse(connURL)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// ErrNoRegistry: OpenExisting found no registry in the schema.
var ErrNoRegistry = errors.New("holds no registry")

// Open connects to the registry at connURL (postgres://user@host/db?...)
// and migrates it to the current schema, creating it in an empty
// schema. Errors name the URL with its password redacted.
func Open(ctx context.Context, connURL string) (*Store, error) {
	return open(ctx, connURL, true)
}

// OpenExisting is Open for a registry that must exist already: a schema
// that holds none is ErrNoRegistry, so that a mistyped database or
// search_path is not read as an empty registry.
func OpenExisting(ctx context.Context, connURL string) (*Store, error) {
	return open(ctx, connURL, false)
}

// open is Open, or OpenExisting unless create.
func open(ctx context.Context, connURL string, create bool) (*Store, error) {
	name := Redact(connURL)
	cfg, err := pgx.ParseConfig(connURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres store %s: %w", name,
			redactErr(err, connURL))
	}
	db := sql.OpenDB(stdlib.GetConnector(*cfg))
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	// Opens no connection until a principal is first locked.
	lockDB := sql.OpenDB(stdlib.GetConnector(*cfg))
	lockDB.SetMaxOpenConns(maxLockConns)
	lockDB.SetMaxIdleConns(4)
	s := withShared(&Store{db: &pool{db}, lockDB: lockDB, connConfig: cfg,
		connURL: connURL})
	if err := s.setUp(ctx, create); err != nil {
		db.Close()
		lockDB.Close()
		return nil, fmt.Errorf("open postgres store %s: %w", name,
			redactErr(err, connURL))
	}
	return s, nil
}

// setUp finds the registry's schema and migrates it; unless create, a
// schema without a registry is ErrNoRegistry.
func (s *Store) setUp(ctx context.Context, create bool) error {
	var schema sql.NullString
	var oid int64
	err := s.db.QueryRowContext(ctx, `SELECT current_schema(),
		coalesce((SELECT oid::bigint FROM pg_namespace
		WHERE nspname = current_schema()), 0)`).Scan(&schema, &oid)
	if err != nil {
		return err
	}
	if !schema.Valid {
		return errors.New("search_path: names no schema that exists " +
			"to keep the registry in")
	}
	s.writeLock = writeLockSpace<<32 | oid
	s.schemaKey = int32(uint32(oid))
	s.leaderLock = leaderLockSpace<<32 | oid
	if !create {
		applied, err := appliedVersions(ctx, s.db.DB)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			return fmt.Errorf("schema %s %w (killswitch import or run "+
				"creates it)", schema.String, ErrNoRegistry)
		}
	}
	return migrate(ctx, s.db.DB, migrateLockSpace<<32|oid)
}

// redactErr is err with every occurrence of the password of connURL
// replaced, for errors that quote the connection string.
func redactErr(err error, connURL string) error {
	u, perr := url.Parse(connURL)
	if perr != nil {
		return errors.New("the URL is not valid")
	}
	pw, ok := u.User.Password()
	if q := u.Query().Get("password"); q != "" {
		pw, ok = q, true
	}
	if !ok || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
}

// redact is err with the password of the store's URL replaced.
func (s *Store) redact(err error) error {
	return redactErr(err, s.connURL)
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.lockDB.Close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close postgres store: %w", err)
	}
	return nil
}

// inWrite runs fn in a write transaction holding the registry's write
// lock and commits it, or rolls it back when fn fails. Errors are
// wrapped with op; data PostgreSQL cannot keep (text that is not UTF-8,
// a NUL character) is store.ErrInvalid.
func (s *Store) inWrite(ctx context.Context, op string, fn func(*txn) error) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("%s: %w", op, invalidData(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
}

// begin starts a write transaction and takes the registry's write lock.
// A pooled connection the server ended while it was idle (a failover,
// an idle timeout, pg_terminate_backend) fails its first statement;
// nothing was written, so begin tries the next, up to one more than the
// pool holds, rather than fail the write.
func (s *Store) begin(ctx context.Context) (*txn, error) {
	for attempt := 0; ; attempt++ {
		tx, err := s.beginOnce(ctx)
		if err == nil || !connectionLost(err) || attempt == maxConns {
			return tx, err
		}
	}
}

// beginOnce is begin on one connection.
func (s *Store) beginOnce(ctx context.Context) (*txn, error) {
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	tx := &txn{t}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`,
		s.writeLock); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("write lock: %w", err)
	}
	return tx, nil
}

// connectionLost reports whether err says the connection was gone:
// the server ended it (SQLSTATE class 57P) or it was closed under us.
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "57P")
	}
	return errors.Is(err, driver.ErrBadConn) || pgconn.SafeToRetry(err)
}

// invalidData marks as store.ErrInvalid an error of PostgreSQL's class
// 22, data exception: a value the column cannot hold.
func invalidData(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22") {
		return fmt.Errorf("%w: %w", err, store.ErrInvalid)
	}
	return err
}

// pool is the connection pool, taking queries written with ?
// placeholders.
type pool struct{ *sql.DB }

// QueryContext runs q, its placeholders rebound, answering no row when
// an argument is text PostgreSQL cannot hold (matchNothing). A pooled
// connection the
// server ended while it was idle fails the query before it returns a row
// (the driver reads the first row before it answers); nothing was read,
// so the query runs again on the next, up to one more than the pool
// holds, as a write begins again (see begin).
func (p *pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q, args = matchNothing(q, args)
	q = rebind(q)
	for attempt := 0; ; attempt++ {
		rows, err := p.DB.QueryContext(ctx, q, args...)
		if err == nil || !connectionLost(err) || attempt == maxConns {
			return rows, err
		}
	}
}

// QueryRowContext runs q, its placeholders rebound, again on the next
// connection while the one it got was ended by the server, and with no
// row for text PostgreSQL cannot hold, as QueryContext.
func (p *pool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	q, args = matchNothing(q, args)
	q = rebind(q)
	for attempt := 0; ; attempt++ {
		row := p.DB.QueryRowContext(ctx, q, args...)
		if err := row.Err(); err == nil || !connectionLost(err) ||
			attempt == maxConns {
			return row
		}
	}
}

// beginRead starts a read-only transaction at isolation level iso, on
// the next connection while the one it got was ended by the server.
func (p *pool) beginRead(ctx context.Context, iso sql.IsolationLevel) (*sql.Tx, error) {
	opts := &sql.TxOptions{ReadOnly: true, Isolation: iso}
	for attempt := 0; ; attempt++ {
		t, err := p.DB.BeginTx(ctx, opts)
		if err == nil || !connectionLost(err) || attempt == maxConns {
			return t, err
		}
	}
}

// txn is a transaction taking queries written with ? placeholders.
type txn struct{ *sql.Tx }

// ExecContext runs q, its placeholders rebound.
func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, rebind(q), args...)
}

// QueryContext runs q, its placeholders rebound, answering no row when
// an argument is text PostgreSQL cannot hold (matchNothing).
func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q, args = matchNothing(q, args)
	return t.Tx.QueryContext(ctx, rebind(q), args...)
}

// QueryRowContext runs q as QueryContext does.
func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	q, args = matchNothing(q, args)
	return t.Tx.QueryRowContext(ctx, rebind(q), args...)
}

// PrepareContext returns q, its placeholders rebound, to run once per
// row of a batch. It prepares nothing itself: pgx prepares each query
// once per connection and keeps it (its statement cache), where
// database/sql's Prepare would parse it again in every transaction and
// cost two more round trips.
func (t *txn) PrepareContext(_ context.Context, q string) (*stmt, error) {
	return &stmt{tx: t.Tx, q: rebind(q)}, nil
}

// stmt is a query of a transaction run with different arguments.
type stmt struct {
	tx *sql.Tx
	q  string
}

// ExecContext runs the query with args.
func (s *stmt) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return s.tx.ExecContext(ctx, s.q, args...)
}

// QueryRowContext runs the query with args.
func (s *stmt) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return s.tx.QueryRowContext(ctx, s.q, args...)
}

// Close does nothing: there is nothing to release.
func (s *stmt) Close() error { return nil }

// rebind turns the ? placeholders of q into PostgreSQL's $1, $2, ...
// The queries of this package are written with ?, as store/sqlite's, so
// that a WHERE clause can be built in pieces without counting; none has
// a ? inside a string literal or uses the jsonb ? operator.
func rebind(q string) string {
	n := strings.Count(q, "?")
	if n == 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 2*n)
	i := 0
	for _, r := range q {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		i++
		fmt.Fprintf(&b, "$%d", i)
	}
	return b.String()
}
