package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/killswitch-dev/killswitch/store"
)

// coalesce marks skipped each pending action whose CoalesceKey a pending
// action holds already, stored or earlier in actions: that one covers it
// when it runs, since it has not started yet. An action held for
// approval is likewise coalesced into one pending or held for approval:
// the operator is asked once about one effect, however many alerts ask
// for it. It runs in the write transaction that inserts actions, before
// budgets count them, so that the pending action cannot be claimed in
// between.
func coalesce(ctx context.Context, tx Tx, actions []store.Action) error {
	batch := map[string]store.Action{}
	for i := range actions {
		a := &actions[i]
		if !coalescible(*a) {
			continue
		}
		into, ok := batch[a.CoalesceKey]
		if !ok || !Covers(into, *a) {
			var err error
			if into, err = waitingWithKey(ctx, tx, *a); err != nil {
				return err
			}
		}
		if into.ID == "" {
			batch[a.CoalesceKey] = *a
			continue
		}
		a.State = store.ActionSkipped
		a.LastError = "coalesced into " + into.ID + ", " + into.State +
			" with the same effect"
	}
	return nil
}

// coalescible reports whether a may be coalesced into another action.
func coalescible(a store.Action) bool {
	return a.CoalesceKey != "" && (a.State == store.ActionPending ||
		a.State == store.ActionAwaitingApproval)
}

// Covers reports whether into, with a's key, covers a: a pending one
// covers any; one held for approval covers only another held one, as a
// pending action must not wait for an approval it does not need.
func Covers(into, a store.Action) bool {
	return into.State == store.ActionPending ||
		a.State == store.ActionAwaitingApproval
}

// waitingWithKey returns the oldest stored action with a's CoalesceKey,
// other than a itself, that covers a, or the zero Action.
func waitingWithKey(ctx context.Context, tx Tx, a store.Action) (store.Action, error) {
	states := []any{store.ActionPending}
	if a.State == store.ActionAwaitingApproval {
		states = append(states, store.ActionAwaitingApproval)
	}
	var into store.Action
	err := tx.QueryRowContext(ctx, `SELECT id, state FROM actions
		WHERE coalesce_key = ? AND coalesce_key != '' AND state IN (`+
		placeholders(len(states))+`) AND idempotency_key != ?
		ORDER BY created_at, seq LIMIT 1`, append(append([]any{a.CoalesceKey},
		states...), a.IdempotencyKey)...).Scan(&into.ID, &into.State)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Action{}, nil
	}
	return into, err
}
