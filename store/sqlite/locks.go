package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

const lockCols = "id, target_type, target, reason, created_by, " +
	"created_at, expires_at"

// lockTargets are the kinds of thing a lock may hold.
var lockTargets = []string{"principal", "credential", "device", "origin"}

// PutLock inserts or replaces a lock; an empty id gets a generated "lck_"
// one. The target type must be principal, credential, device or origin.
func (s *Store) PutLock(ctx context.Context, l store.Lock) error {
	if l.ID == "" {
		l.ID = newID("lck_")
	}
	op := fmt.Sprintf("put lock %q", l.ID)
	switch {
	case !slices.Contains(lockTargets, l.TargetType):
		return fmt.Errorf("%s: target_type: unknown lock target %q: %w",
			op, l.TargetType, store.ErrInvalid)
	case l.Target == "":
		return fmt.Errorf("%s: target: required: %w", op, store.ErrInvalid)
	}
	return s.inWrite(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO locks (`+
			lockCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`, l.ID, l.TargetType,
			l.Target, l.Reason, l.CreatedBy, timeArg(l.CreatedAt),
			timeArg(l.ExpiresAt))
		return err
	})
}

// ListLocks returns the locks in force at now (those that never expire
// or expire after now), or every lock when now is zero, oldest first.
func (s *Store) ListLocks(ctx context.Context, now time.Time) ([]store.Lock, error) {
	var w where
	if !now.IsZero() {
		w.add("(expires_at IS NULL OR expires_at > ?)", timeArg(now))
	}
	ls, err := queryAll(ctx, s.read, `SELECT `+lockCols+` FROM locks`+
		w.String()+` ORDER BY created_at, id`, w.args, scanLock)
	if err != nil {
		return nil, fmt.Errorf("list locks: %w", err)
	}
	return ls, nil
}

// scanLock scans lockCols.
func scanLock(r rowScanner) (store.Lock, error) {
	var l store.Lock
	err := r.Scan(&l.ID, &l.TargetType, &l.Target, &l.Reason,
		&l.CreatedBy, timeCol{&l.CreatedAt}, timeCol{&l.ExpiresAt})
	return l, err
}

// RemoveLock deletes a lock, or returns store.ErrNotFound.
func (s *Store) RemoveLock(ctx context.Context, id string) error {
	op := fmt.Sprintf("remove lock %q", id)
	return s.inWrite(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM locks WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return mustAffect(res, "lock", id)
	})
}

// mustAffect returns store.ErrNotFound when res changed no row.
func mustAffect(res sql.Result, what, id string) error {
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = fmt.Errorf("no %s %q: %w", what, id, store.ErrNotFound)
	}
	return err
}
