package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

const signalCols = "id, dedup_key, format, category, severity, time, " +
	"received_at, policy_revision, signal, decision"

// RecordSignal stores a processed signal, its actions and its audit
// entries in one transaction, and returns false, writing nothing, when a
// signal with the same DedupKey exists. An action whose IdempotencyKey
// exists is skipped. Empty ids get generated ones ("sig_", "act_"); an
// action's empty SignalID is rec's id, its empty State "pending" and its
// zero CreatedAt and UpdatedAt now.
func (s *Store) RecordSignal(ctx context.Context, rec store.SignalRecord,
	actions []store.Action, audit []store.AuditEntry) (bool, error) {
	if rec.ID == "" {
		rec.ID = NewID("sig_")
	}
	op := fmt.Sprintf("record signal %q", rec.ID)
	actions, err := prepareActions(rec.ID, actions, time.Now())
	if err == nil {
		err = checkSignal(rec)
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	var recorded bool
	err = s.Write(ctx, op, func(tx Tx) error {
		var err error
		recorded, err = s.insertSignal(ctx, tx, rec)
		if err != nil || !recorded {
			return err
		}
		if err := s.insertActions(ctx, tx, actions); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, audit)
	})
	return recorded, err
}

// checkSignal checks the fields of a signal record the store relies on.
func checkSignal(rec store.SignalRecord) error {
	if rec.DedupKey == "" {
		return fmt.Errorf("dedup_key: required: %w", store.ErrInvalid)
	}
	if err := checkJSON("signal", rec.Signal); err != nil {
		return err
	}
	return checkJSON("decision", rec.Decision)
}

// insertSignal inserts rec; false means its dedup key exists.
func (s *Store) insertSignal(ctx context.Context, tx Tx, rec store.SignalRecord) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO signals (`+signalCols+
		`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		rec.ID, rec.DedupKey, rec.Format, rec.Category, rec.Severity,
		s.TimeArg(rec.Time), s.TimeArg(rec.ReceivedAt), rec.PolicyRevision,
		rawArg(rec.Signal), rawArg(rec.Decision))
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return n == 1, err
	}
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM signals
		WHERE dedup_key = ?`, rec.DedupKey).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("id: a signal %q exists with another "+
			"dedup key: %w", rec.ID, store.ErrInvalid)
	}
	return false, err
}

// GetSignal returns the signal with that id, or store.ErrNotFound.
func (s *Store) GetSignal(ctx context.Context, id string) (store.SignalRecord, error) {
	row := s.Read.QueryRowContext(ctx, `SELECT `+signalCols+
		` FROM signals WHERE id = ?`, id)
	rec, err := scanSignal(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("no signal %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.SignalRecord{}, fmt.Errorf("get signal: %w", err)
	}
	return rec, nil
}

// ListSignals returns up to limit signals (all for 0), the most recently
// recorded first.
func (s *Store) ListSignals(ctx context.Context,
	limit int) ([]store.SignalRecord, error) {
	lim, err := limitClause(limit)
	if err != nil {
		return nil, fmt.Errorf("list signals: %w", err)
	}
	recs, err := queryAll(ctx, s.Read, `SELECT `+signalCols+
		` FROM signals ORDER BY seq DESC`+lim, nil, scanSignal)
	if err != nil {
		return nil, fmt.Errorf("list signals: %w", err)
	}
	return recs, nil
}

// FindSignals returns the signals matching f, newest first.
func (s *Store) FindSignals(ctx context.Context,
	f store.SignalFilter) ([]store.SignalRecord, error) {
	lim, err := limitClause(f.Limit)
	if err != nil {
		return nil, fmt.Errorf("find signals: %w", err)
	}
	var w where
	w.eq("format", f.Format)
	w.eq("category", f.Category)
	w.eq("severity", f.Severity)
	w.timeRange(s.Dialect, "received_at", f.Received)
	if f.AfterID != "" {
		w.add("seq < (SELECT seq FROM signals WHERE id = ?)", f.AfterID)
	}
	recs, err := queryAll(ctx, s.Read, `SELECT `+signalCols+
		` FROM signals`+w.String()+` ORDER BY seq DESC`+lim, w.args,
		scanSignal)
	if err != nil {
		return nil, fmt.Errorf("find signals: %w", err)
	}
	return recs, nil
}

// scanSignal scans signalCols.
func scanSignal(r RowScanner) (store.SignalRecord, error) {
	var rec store.SignalRecord
	err := r.Scan(&rec.ID, &rec.DedupKey, &rec.Format, &rec.Category,
		&rec.Severity, timeCol{&rec.Time}, timeCol{&rec.ReceivedAt},
		&rec.PolicyRevision, rawCol{&rec.Signal}, rawCol{&rec.Decision})
	return rec, err
}

// actionStates are the states an action may have.
var actionStates = []string{store.ActionPending, store.ActionAwaitingApproval,
	store.ActionRunning, store.ActionDone, store.ActionFailed,
	store.ActionSkipped}

// prepareActions fills the defaults of actions recorded with signalID
// and checks them; it returns a copy.
func prepareActions(signalID string, actions []store.Action,
	now time.Time) ([]store.Action, error) {
	out := slices.Clone(actions)
	for i := range out {
		a := &out[i]
		if a.ID == "" {
			a.ID = NewID("act_")
		}
		a.SignalID = cmp.Or(a.SignalID, signalID)
		a.State = cmp.Or(a.State, store.ActionPending)
		if a.CreatedAt.IsZero() {
			a.CreatedAt = now
		}
		if a.UpdatedAt.IsZero() {
			a.UpdatedAt = a.CreatedAt
		}
		if err := checkAction(*a); err != nil {
			return nil, fmt.Errorf("actions[%d]: %w", i, err)
		}
	}
	return out, nil
}

// checkAction checks the fields of an action the store relies on.
func checkAction(a store.Action) error {
	switch {
	case a.IdempotencyKey == "":
		return fmt.Errorf("idempotency_key: required: %w", store.ErrInvalid)
	case a.Kind == "":
		return fmt.Errorf("kind: required: %w", store.ErrInvalid)
	case !slices.Contains(actionStates, a.State):
		return fmt.Errorf("state: unknown action state %q: %w",
			a.State, store.ErrInvalid)
	}
	if err := checkJSON("params", a.Params); err != nil {
		return err
	}
	return checkJSON("result", a.Result)
}
