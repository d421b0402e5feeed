// Package sqlstore is the part of store.Store that store/sqlite and
// store/postgres share: the SQL, the scanning of rows and the logic
// around them, written once against database/sql.
//
// A backend gives a Store its read pool, a way to run a write
// transaction and its Dialect, and forwards the store.Store methods
// that live here. Queries are written with ? placeholders; the
// PostgreSQL backend rewrites them to $1, $2, ... itself. The few
// statements and encodings that differ between the two databases ask
// the Dialect.
package sqlstore

import (
	"context"
	"database/sql"
)

// Querier runs queries: a read pool or a write transaction.
type Querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// Tx is a write transaction of a backend.
type Tx interface {
	Querier
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	// Prepare returns q to run once per row of a batch, within the
	// transaction; the caller closes it.
	Prepare(ctx context.Context, q string) (Stmt, error)
}

// Stmt is a statement of a transaction, run with different arguments.
type Stmt interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
	Close() error
}

// WriteFunc runs fn in a write transaction, one writer of the registry
// at a time, and commits it, or rolls it back when fn fails. Its errors
// are wrapped with op.
type WriteFunc func(ctx context.Context, op string, fn func(Tx) error) error

// Store is the shared part of a backend's store.Store.
type Store struct {
	Dialect
	// Read is the pool reads go to; they take no lock.
	Read Querier
	// Write runs the write transactions.
	Write WriteFunc
	// Snapshot begins a read-only transaction that reads one snapshot
	// of the registry; done ends it.
	Snapshot func(ctx context.Context) (tx Querier, done func(), err error)
}

// queryAll runs q and scans every row with scan.
func queryAll[T any](ctx context.Context, db Querier, q string, args []any,
	scan func(RowScanner) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// RowScanner is a *sql.Row or *sql.Rows.
type RowScanner interface {
	Scan(dest ...any) error
}
