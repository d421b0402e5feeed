package sqlite

import (
	"context"
	"database/sql"

	"github.com/killswitch-dev/killswitch/store/internal/sqlstore"
)

// withShared gives s the shared part of the store, which reads from s's
// read pool and writes through s.inWrite.
func withShared(s *Store) *Store {
	s.Store = &sqlstore.Store{Dialect: sqlstore.SQLite, Read: s.read,
		Write: s.inTx, Snapshot: s.snapshot}
	return s
}

// inTx is inWrite for the shared code.
func (s *Store) inTx(ctx context.Context, op string,
	fn func(sqlstore.Tx) error) error {
	return s.inWrite(ctx, op, func(tx *sql.Tx) error {
		return fn(batchTx{tx})
	})
}

// snapshot begins a read-only transaction on the read pool: in WAL
// mode, it reads one snapshot from its first read on.
func (s *Store) snapshot(ctx context.Context) (sqlstore.Querier, func(), error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	return tx, func() { tx.Rollback() }, nil
}

// batchTx is a transaction that prepares a batch's statement once. Its
// writes refuse text PostgreSQL cannot hold (sqlstore.CheckText).
type batchTx struct{ *sql.Tx }

// ExecContext runs q with args unless they hold text PostgreSQL cannot.
func (t batchTx) ExecContext(ctx context.Context, q string,
	args ...any) (sql.Result, error) {
	if err := sqlstore.CheckText(args); err != nil {
		return nil, err
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

// Prepare prepares q within the transaction.
func (t batchTx) Prepare(ctx context.Context, q string) (sqlstore.Stmt, error) {
	stmt, err := t.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return checkedStmt{stmt}, nil
}

// checkedStmt is a prepared write that refuses text PostgreSQL cannot
// hold, as batchTx. Its QueryRowContext, an update returning the row,
// is given states, owners and times, never text from outside, and is
// not checked: a *sql.Row cannot carry the refusal.
type checkedStmt struct{ *sql.Stmt }

// ExecContext runs the statement with args unless they hold text
// PostgreSQL cannot.
func (s checkedStmt) ExecContext(ctx context.Context,
	args ...any) (sql.Result, error) {
	if err := sqlstore.CheckText(args); err != nil {
		return nil, err
	}
	return s.Stmt.ExecContext(ctx, args...)
}
