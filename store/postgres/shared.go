package postgres

import (
	"context"
	"database/sql"

	"github.com/killswitch-dev/killswitch/store/internal/sqlstore"
)

// withShared gives s the shared part of the store, which reads from s's
// pool and writes through s.inWrite.
func withShared(s *Store) *Store {
	s.Store = &sqlstore.Store{Dialect: sqlstore.PostgreSQL, Read: s.db,
		Write: s.inTx, Snapshot: s.snapshot}
	return s
}

// inTx is inWrite for the shared code.
func (s *Store) inTx(ctx context.Context, op string,
	fn func(sqlstore.Tx) error) error {
	return s.inWrite(ctx, op, func(tx *txn) error {
		return fn(batchTx{tx})
	})
}

// snapshot begins a read-only REPEATABLE READ transaction, which reads
// one snapshot, on a connection the server has not ended.
func (s *Store) snapshot(ctx context.Context) (sqlstore.Querier, func(), error) {
	t, err := s.db.beginRead(ctx, sql.LevelRepeatableRead)
	if err != nil {
		return nil, nil, err
	}
	return &txn{t}, func() { t.Rollback() }, nil
}

// batchTx is a transaction whose batches run one rebound query.
type batchTx struct{ *txn }

// Prepare returns q, its placeholders rebound, to run once per row.
func (t batchTx) Prepare(ctx context.Context, q string) (sqlstore.Stmt, error) {
	return t.PrepareContext(ctx, q)
}
