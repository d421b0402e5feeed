package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// LockCols are the columns of locks, in ScanLock order.
const LockCols = "id, target_type, target, reason, created_by, " +
	"created_at, expires_at, lifted_at, lifted_by, lift_reason"

// lockTargets are the kinds of thing a lock may hold.
var lockTargets = []string{"principal", "credential", "device", "origin"}

// PutLock inserts or replaces a lock, keeping an earlier lift when l has
// none; an empty id gets a generated "lck_" one. The target type must be
// principal, credential, device or origin, an origin's target one that
// store.CheckOrigin accepts.
func (s *Store) PutLock(ctx context.Context, l store.Lock) error {
	if l.ID == "" {
		l.ID = NewID("lck_")
	}
	op := fmt.Sprintf("put lock %q", l.ID)
	switch {
	case !slices.Contains(lockTargets, l.TargetType):
		return fmt.Errorf("%s: target_type: unknown lock target %q: %w",
			op, l.TargetType, store.ErrInvalid)
	case l.Target == "":
		return fmt.Errorf("%s: target: required: %w", op, store.ErrInvalid)
	case l.TargetType == "origin":
		if err := store.CheckOrigin(l.Target); err != nil {
			return fmt.Errorf("%s: target: %v: %w", op, err, store.ErrInvalid)
		}
	}
	return s.Write(ctx, op, func(tx Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO locks (`+LockCols+
			`) VALUES (`+placeholders(10)+`) ON CONFLICT (id) DO UPDATE SET
			target_type = excluded.target_type, target = excluded.target,
			reason = excluded.reason, created_by = excluded.created_by,
			created_at = excluded.created_at,
			expires_at = excluded.expires_at`+keepLift, l.ID, l.TargetType,
			l.Target, l.Reason, l.CreatedBy, s.TimeArg(l.CreatedAt),
			s.TimeArg(l.ExpiresAt), s.TimeArg(l.LiftedAt), l.LiftedBy,
			l.LiftReason)
		return err
	})
}

// keepLift ends PutLock's upsert: a lock written again without a lift
// (a re-import, a retried policy action) keeps an earlier lift, so that
// no write undoes an operator's.
const keepLift = `,
	lifted_at = coalesce(excluded.lifted_at, locks.lifted_at),
	lifted_by = CASE WHEN excluded.lifted_at IS NULL
		THEN locks.lifted_by ELSE excluded.lifted_by END,
	lift_reason = CASE WHEN excluded.lifted_at IS NULL
		THEN locks.lift_reason ELSE excluded.lift_reason END`

// ListLocks returns the locks in force at now (never lifted, or lifted
// after now, and never expiring or expiring after now), or every lock
// when now is zero, oldest first.
func (s *Store) ListLocks(ctx context.Context, now time.Time) ([]store.Lock, error) {
	ls, err := s.listLocks(ctx, s.Read, now)
	if err != nil {
		return nil, fmt.Errorf("list locks: %w", err)
	}
	return ls, nil
}

// listLocks is ListLocks through db.
func (d Dialect) listLocks(ctx context.Context, db Querier,
	now time.Time) ([]store.Lock, error) {
	var w where
	if !now.IsZero() {
		at := d.TimeArg(now)
		w.add("(expires_at IS NULL OR expires_at > ?)", at)
		w.add("(lifted_at IS NULL OR lifted_at > ?)", at)
	}
	return queryAll(ctx, db, `SELECT `+LockCols+` FROM locks`+
		w.String()+` ORDER BY created_at, id`, w.args, ScanLock)
}

// ScanLock scans LockCols.
func ScanLock(r RowScanner) (store.Lock, error) {
	var l store.Lock
	err := r.Scan(&l.ID, &l.TargetType, &l.Target, &l.Reason,
		&l.CreatedBy, timeCol{&l.CreatedAt}, timeCol{&l.ExpiresAt},
		timeCol{&l.LiftedAt}, &l.LiftedBy, &l.LiftReason)
	return l, err
}

// LiftLock ends a lock in force at at (now when zero), keeping it with
// who lifted it and why.
func (s *Store) LiftLock(ctx context.Context, id, by, reason string,
	at time.Time) (store.Lock, error) {
	op := fmt.Sprintf("lift lock %q", id)
	if at.IsZero() {
		at = time.Now()
	}
	var l store.Lock
	err := s.Write(ctx, op, func(tx Tx) error {
		var err error
		l, err = ScanLock(tx.QueryRowContext(ctx, `SELECT `+LockCols+
			` FROM locks WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound // op names the lock
		}
		if err != nil {
			return err
		}
		if !l.InForce(at) {
			return store.Reason(store.ErrInvalid, "not in force: %s",
				lockEnd(l))
		}
		l.LiftedAt = store.NormalizeTime(at)
		l.LiftedBy, l.LiftReason = by, reason
		_, err = tx.ExecContext(ctx, `UPDATE locks SET lifted_at = ?,
			lifted_by = ?, lift_reason = ? WHERE id = ?`,
			s.TimeArg(at), by, reason, id)
		return err
	})
	if err != nil {
		return store.Lock{}, err
	}
	return l, nil
}

// lockEnd says how a lock no longer in force ended.
func lockEnd(l store.Lock) string {
	if !l.LiftedAt.IsZero() {
		return fmt.Sprintf("lifted by %s at %s", l.LiftedBy,
			l.LiftedAt.Format(time.RFC3339))
	}
	return "expired at " + l.ExpiresAt.Format(time.RFC3339)
}

// LockedBy returns the locks in force at now that cover q, oldest first.
func (s *Store) LockedBy(ctx context.Context, q store.LockQuery,
	now time.Time) ([]store.Lock, error) {
	ls, err := s.lockedBy(ctx, s.Read, q, now)
	if err != nil {
		return nil, fmt.Errorf("locked by: %w", err)
	}
	return ls, nil
}

// lockedBy is LockedBy through db. Origin locks hold CIDR prefixes,
// which SQL does not match, so the locks in force are matched here: they
// are few.
func (d Dialect) lockedBy(ctx context.Context, db Querier, q store.LockQuery,
	now time.Time) ([]store.Lock, error) {
	all, err := d.listLocks(ctx, db, now)
	if err != nil {
		return nil, err
	}
	var out []store.Lock
	for _, l := range all {
		if q.Covers(l) {
			out = append(out, l)
		}
	}
	return out, nil
}

// RefuseLocked returns a *store.LockedError when a lock in force now
// covers q; what names the record being registered through tx.
func (d Dialect) RefuseLocked(ctx context.Context, tx Querier, what string,
	q store.LockQuery) error {
	ls, err := d.lockedBy(ctx, tx, q, time.Now())
	if err != nil || len(ls) == 0 {
		return err
	}
	return &store.LockedError{What: what, Lock: ls[0]}
}

// MustAffect returns store.ErrNotFound when res changed no row.
func MustAffect(res sql.Result, what, id string) error {
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = fmt.Errorf("no %s %q: %w", what, id, store.ErrNotFound)
	}
	return err
}
