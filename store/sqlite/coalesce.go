package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/killswitch-dev/killswitch/store"
)

// coalesce marks skipped each pending action whose CoalesceKey a pending
// action holds already, stored or earlier in actions: that one covers it
// when it runs, since it has not started yet. It runs in the write
// transaction that inserts actions, before budgets count them, so that
// the pending action cannot be claimed in between.
func coalesce(ctx context.Context, tx *sql.Tx, actions []store.Action) error {
	batch := map[string]string{}
	for i := range actions {
		a := &actions[i]
		if a.State != store.ActionPending || a.CoalesceKey == "" {
			continue
		}
		into, ok := batch[a.CoalesceKey]
		if !ok {
			var err error
			if into, err = pendingWithKey(ctx, tx, *a); err != nil {
				return err
			}
		}
		if into == "" {
			batch[a.CoalesceKey] = a.ID
			continue
		}
		a.State = store.ActionSkipped
		a.LastError = "coalesced into " + into + ", pending with the same effect"
	}
	return nil
}

// pendingWithKey returns the id of a stored pending action with a's
// CoalesceKey, other than a itself, or "".
func pendingWithKey(ctx context.Context, tx *sql.Tx, a store.Action) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM actions
		WHERE coalesce_key = ? AND coalesce_key != '' AND state = ?
		AND idempotency_key != ? ORDER BY created_at, seq LIMIT 1`,
		a.CoalesceKey, store.ActionPending, a.IdempotencyKey).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}
