package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

const sweepRunCols = "id, sweep, scheduled_at, owner, started_at, " +
	"finished_at, outcome, error, report"

// AcquireSweepLease takes or extends owner's lease on a sweep; false when
// another owner holds an unexpired one.
func (s *Store) AcquireSweepLease(ctx context.Context, sweep, owner string,
	now time.Time, ttl time.Duration) (bool, error) {
	op := fmt.Sprintf("acquire lease on sweep %q", sweep)
	if sweep == "" || owner == "" || ttl <= 0 {
		return false, fmt.Errorf("%s: sweep, owner and a positive ttl are "+
			"required: %w", op, store.ErrInvalid)
	}
	var got bool
	err := s.Write(ctx, op, func(tx Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO sweep_leases (sweep,
			owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (sweep) DO UPDATE
			SET owner = excluded.owner, expires_at = excluded.expires_at
			WHERE sweep_leases.owner = excluded.owner
			OR sweep_leases.expires_at <= ?`, sweep, owner,
			s.TimeArg(now.Add(ttl)), s.TimeArg(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		got = n == 1
		return err
	})
	return got, err
}

// ReleaseSweepLease deletes owner's lease on the sweep, if it holds it.
func (s *Store) ReleaseSweepLease(ctx context.Context, sweep, owner string) error {
	op := fmt.Sprintf("release lease on sweep %q", sweep)
	return s.Write(ctx, op, func(tx Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sweep_leases
			WHERE sweep = ? AND owner = ?`, sweep, owner)
		return err
	})
}

// StartSweepRun inserts a running run; false when its sweep already has a
// run for its scheduled time.
func (s *Store) StartSweepRun(ctx context.Context, r store.SweepRun) (bool, error) {
	op := fmt.Sprintf("start sweep run %q", r.ID)
	if r.ID == "" || r.Sweep == "" || r.ScheduledAt.IsZero() ||
		r.StartedAt.IsZero() {
		return false, fmt.Errorf("%s: id, sweep, scheduled_at and "+
			"started_at are required: %w", op, store.ErrInvalid)
	}
	if r.Outcome == "" {
		r.Outcome = store.SweepRunning
	}
	var inserted bool
	err := s.Write(ctx, op, func(tx Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO sweep_runs (`+
			sweepRunCols+`) VALUES (`+placeholders(9)+`)
			ON CONFLICT (sweep, scheduled_at) DO NOTHING`, s.sweepRunArgs(r)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		inserted = n == 1
		return err
	})
	return inserted, err
}

// FinishSweepRun records the outcome of a started run.
func (s *Store) FinishSweepRun(ctx context.Context, r store.SweepRun) error {
	op := fmt.Sprintf("finish sweep run %q", r.ID)
	return s.Write(ctx, op, func(tx Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sweep_runs SET finished_at = ?,
			outcome = ?, error = ?, report = ? WHERE id = ?`,
			s.TimeArg(r.FinishedAt), r.Outcome, r.Error, rawArg(r.Report),
			r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound // op names the run
		}
		return nil
	})
}

// ListSweepRuns returns runs newest first.
func (s *Store) ListSweepRuns(ctx context.Context, sweep string,
	limit int) ([]store.SweepRun, error) {
	lim, err := limitClause(limit)
	if err != nil {
		return nil, fmt.Errorf("list sweep runs: %w", err)
	}
	var w where
	w.eq("sweep", sweep)
	rs, err := queryAll(ctx, s.Read, `SELECT `+sweepRunCols+
		` FROM sweep_runs`+w.String()+` ORDER BY started_at DESC, seq DESC`+
		lim, w.args, scanSweepRun)
	if err != nil {
		return nil, fmt.Errorf("list sweep runs: %w", err)
	}
	return rs, nil
}

// sweepRunArgs are the values of sweepRunCols for r.
func (s *Store) sweepRunArgs(r store.SweepRun) []any {
	return []any{r.ID, r.Sweep, s.TimeArg(r.ScheduledAt), r.Owner,
		s.TimeArg(r.StartedAt), s.TimeArg(r.FinishedAt), r.Outcome,
		diagnostic(r.Error), rawArg(r.Report)}
}

// scanSweepRun scans sweepRunCols.
func scanSweepRun(r RowScanner) (store.SweepRun, error) {
	var run store.SweepRun
	err := r.Scan(&run.ID, &run.Sweep, timeCol{&run.ScheduledAt}, &run.Owner,
		timeCol{&run.StartedAt}, timeCol{&run.FinishedAt}, &run.Outcome,
		&run.Error, rawCol{&run.Report})
	return run, err
}
