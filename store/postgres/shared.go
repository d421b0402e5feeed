package postgres

import (
	"context"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/internal/sqlstore"
)

// withShared gives s the shared part of the store, which reads from s's
// pool and writes through s.inWrite.
func withShared(s *Store) *Store {
	s.Store = &sqlstore.Store{Dialect: sqlstore.PostgreSQL, Read: s.db,
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
	return s.inWrite(ctx, op, func(tx *txn) error {
		return fn(batchTx{tx})
	})
}

// batchTx is a transaction whose batches run one rebound query.
type batchTx struct{ *txn }

// Prepare returns q, its placeholders rebound, to run once per row.
func (t batchTx) Prepare(ctx context.Context, q string) (sqlstore.Stmt, error) {
	return t.PrepareContext(ctx, q)
}

// refuseLocked is sqlstore's RefuseLocked in a write transaction.
func refuseLocked(ctx context.Context, tx *txn, what string,
	q store.LockQuery) error {
	return sqlstore.PostgreSQL.RefuseLocked(ctx, tx, what, q)
}

// scanLock is sqlstore.ScanLock, for byIDs.
func scanLock(r rowScanner) (store.Lock, error) { return sqlstore.ScanLock(r) }

// covers is sqlstore.Covers.
func covers(into, a store.Action) bool { return sqlstore.Covers(into, a) }

// firstSeenOf is sqlstore.FirstSeenOf, for credentialWhere.
const firstSeenOf = sqlstore.FirstSeenOf

// matchExposures is sqlstore's MatchExposures in a write transaction.
func matchExposures(ctx context.Context, tx *txn, c store.Credential) error {
	return sqlstore.PostgreSQL.MatchExposures(ctx, batchTx{tx}, c)
}

// matchAliasExposures is sqlstore's MatchAliasExposures in a write
// transaction.
func matchAliasExposures(ctx context.Context, tx *txn, a store.Alias) error {
	return sqlstore.PostgreSQL.MatchAliasExposures(ctx, batchTx{tx}, a)
}
