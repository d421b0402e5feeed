package sqlite

import (
	"context"
	"database/sql"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/internal/sqlstore"
)

// withShared gives s the shared part of the store, which reads from s's
// read pool and writes through s.inWrite.
func withShared(s *Store) *Store {
	s.Store = &sqlstore.Store{Dialect: sqlstore.SQLite, Read: s.read,
		Write: s.inTx, Credentials: credentialTable}
	return s
}

// credentialTable is how the shared code reads this store's credentials.
var credentialTable = sqlstore.CredentialTable{Cols: credentialCols,
	Scan: func(r sqlstore.RowScanner) (store.Credential, error) {
		return scanCredential(r)
	}}

// inTx is inWrite for the shared code.
func (s *Store) inTx(ctx context.Context, op string,
	fn func(sqlstore.Tx) error) error {
	return s.inWrite(ctx, op, func(tx *sql.Tx) error {
		return fn(batchTx{tx})
	})
}

// batchTx is a transaction that prepares a batch's statement once.
type batchTx struct{ *sql.Tx }

// Prepare prepares q within the transaction.
func (t batchTx) Prepare(ctx context.Context, q string) (sqlstore.Stmt, error) {
	stmt, err := t.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return stmt, nil
}

// refuseLocked is sqlstore's RefuseLocked in a write transaction.
func refuseLocked(ctx context.Context, tx *sql.Tx, what string,
	q store.LockQuery) error {
	return sqlstore.SQLite.RefuseLocked(ctx, tx, what, q)
}

// scanLock is sqlstore.ScanLock, for byIDs.
func scanLock(r rowScanner) (store.Lock, error) { return sqlstore.ScanLock(r) }

// covers is sqlstore.Covers.
func covers(into, a store.Action) bool { return sqlstore.Covers(into, a) }

// firstSeenOf is sqlstore.FirstSeenOf, for credentialWhere.
const firstSeenOf = sqlstore.FirstSeenOf

// matchExposures is sqlstore's MatchExposures in a write transaction.
func matchExposures(ctx context.Context, tx *sql.Tx, c store.Credential) error {
	return sqlstore.SQLite.MatchExposures(ctx, batchTx{tx}, c)
}

// matchAliasExposures is sqlstore's MatchAliasExposures in a write
// transaction.
func matchAliasExposures(ctx context.Context, tx *sql.Tx, a store.Alias) error {
	return sqlstore.SQLite.MatchAliasExposures(ctx, batchTx{tx}, a)
}
