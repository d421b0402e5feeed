package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// changePage is the default page of ChangedSince and RevocationLog.
const changePage = 1000

const revocationLogCols = "seq, type, target_id, principal_id, provider, " +
	"external_id, at, by, reason, signal_id, action_id, lock_target_type, " +
	"lock_target, expires_at"

// ChangedSince returns the records changed after cursor, read in one
// snapshot. The triggers of the migrations keep registry_changes; the
// single writer (SQLite) or the write lock (PostgreSQL) makes its numbers
// commit in order, so a cursor never skips a change that commits later.
func (s *Store) ChangedSince(ctx context.Context, cursor int64,
	limit int) (store.ChangeSet, error) {
	if limit < 0 {
		return store.ChangeSet{}, fmt.Errorf("changed since %d: limit %d: "+
			"must not be negative: %w", cursor, limit, store.ErrInvalid)
	}
	if limit == 0 {
		limit = changePage
	}
	tx, done, err := s.Snapshot(ctx)
	if err != nil {
		return store.ChangeSet{}, fmt.Errorf("changed since %d: %w", cursor, err)
	}
	defer done()
	cs, err := s.changedSince(ctx, tx, cursor, limit)
	if err != nil {
		return store.ChangeSet{}, fmt.Errorf("changed since %d: %w", cursor, err)
	}
	return cs, nil
}

// changedSince reads one page of changes and the records they name.
func (d Dialect) changedSince(ctx context.Context, tx Querier, cursor int64,
	limit int) (store.ChangeSet, error) {
	cs := store.ChangeSet{Cursor: cursor}
	ids, n, err := changedIDs(ctx, tx, &cs.Cursor, limit)
	if err != nil {
		return cs, err
	}
	cs.More = n == limit
	if cs.Sessions, err = byIDs(ctx, d, tx, "sessions", sessionCols,
		ids["session"], scanSession); err != nil {
		return cs, err
	}
	if cs.Credentials, err = byIDs(ctx, d, tx, "credentials", credentialCols,
		ids["credential"], scanCredential); err != nil {
		return cs, err
	}
	if cs.Principals, err = byIDs(ctx, d, tx, "principals", principalCols,
		ids["principal"], scanPrincipal); err != nil {
		return cs, err
	}
	cs.Locks, err = byIDs(ctx, d, tx, "locks", LockCols, ids["lock"], ScanLock)
	return cs, err
}

// changedIDs reads up to limit changes after *cursor, moves *cursor to
// the last, and returns the changed ids by entity and how many there were.
func changedIDs(ctx context.Context, tx Querier, cursor *int64,
	limit int) (map[string][]string, int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, entity, id FROM
		registry_changes WHERE seq > ? ORDER BY seq LIMIT ?`, *cursor, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	ids := map[string][]string{}
	n := 0
	for rows.Next() {
		var entity, id string
		if err := rows.Scan(cursor, &entity, &id); err != nil {
			return nil, 0, err
		}
		ids[entity] = append(ids[entity], id)
		n++
	}
	return ids, n, rows.Err()
}

// byIDs reads the rows of table with those ids; the ids go in as one
// argument, so that a page of any size is one query.
func byIDs[T any](ctx context.Context, d Dialect, tx Querier, table,
	cols string, ids []string, scan func(RowScanner) (T, error)) ([]T, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in, arg, err := d.idIn(ids)
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, tx, `SELECT `+cols+` FROM `+table+` WHERE `+in,
		[]any{arg}, scan)
}

// RevocationLog returns the log entries after seq after, in order.
func (s *Store) RevocationLog(ctx context.Context, after int64,
	limit int) ([]store.RevocationEntry, error) {
	if limit < 0 {
		return nil, fmt.Errorf("revocation log after %d: limit %d: must "+
			"not be negative: %w", after, limit, store.ErrInvalid)
	}
	if limit == 0 {
		limit = changePage
	}
	es, err := queryAll(ctx, s.Read, `SELECT `+revocationLogCols+
		` FROM revocation_log WHERE seq > ? ORDER BY seq LIMIT ?`,
		[]any{after, limit}, scanRevocationEntry)
	if err != nil {
		return nil, fmt.Errorf("revocation log after %d: %w", after, err)
	}
	return es, nil
}

// LastRevocationSeq returns the newest log entry's seq, or 0.
func (s *Store) LastRevocationSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.Read.QueryRowContext(ctx,
		`SELECT coalesce(max(seq), 0) FROM revocation_log`).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("last revocation seq: %w", err)
	}
	return seq, nil
}

// scanRevocationEntry scans revocationLogCols.
func scanRevocationEntry(r RowScanner) (store.RevocationEntry, error) {
	var e store.RevocationEntry
	err := r.Scan(&e.Seq, &e.Type, &e.TargetID, &e.PrincipalID,
		&e.Provider, &e.ExternalID, timeCol{&e.At}, &e.By, &e.Reason,
		&e.SignalID, &e.ActionID, &e.LockTargetType, &e.LockTarget,
		timeCol{&e.ExpiresAt})
	return e, err
}

// PruneRevocationLog deletes the log's head up to the first entry at or
// after before, keeping the newest entry, and records how far it went.
func (s *Store) PruneRevocationLog(ctx context.Context,
	before time.Time) (int, int64, error) {
	if before.IsZero() {
		return 0, 0, fmt.Errorf("prune revocation log: before: the zero "+
			"time would keep everything: %w", store.ErrInvalid)
	}
	var deleted int
	var through int64
	err := s.Write(ctx, "prune revocation log", func(tx Tx) error {
		// The head ends before the first entry to keep: one as new as
		// before, or the newest entry, whichever comes first.
		var last int64
		err := tx.QueryRowContext(ctx, `SELECT coalesce(
			(SELECT min(seq) FROM revocation_log WHERE at >= ?),
			(SELECT max(seq) FROM revocation_log), 0)`,
			s.TimeArg(before)).Scan(&last)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`DELETE FROM revocation_log WHERE seq < ?`, last)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		deleted = int(n)
		if deleted > 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO revocation_log_pruned
				(id, through) VALUES (1, ?) ON CONFLICT (id) DO UPDATE
				SET through = `+s.greatest()+`(revocation_log_pruned.through,
				excluded.through)`, last-1)
			if err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `SELECT coalesce(
			(SELECT through FROM revocation_log_pruned), 0)`).Scan(&through)
	})
	return deleted, through, err
}

// RevocationLogPruned returns the seq of the newest entry ever pruned.
func (s *Store) RevocationLogPruned(ctx context.Context) (int64, error) {
	var seq int64
	err := s.Read.QueryRowContext(ctx, `SELECT coalesce(
		(SELECT through FROM revocation_log_pruned), 0)`).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("revocation log pruned: %w", err)
	}
	return seq, nil
}
