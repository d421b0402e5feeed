package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

const actionCols = "id, idempotency_key, signal_id, kind, target_type, " +
	"target_id, scope, reason, policy, policy_revision, params, state, " +
	"attempts, last_error, result, created_at, updated_at, lease_until, " +
	guardCols + ", coalesce_key"

// guardCols are the columns the guardrails added (0003_guardrails.sql).
const guardCols = "principal_kind, approval_deadline, on_timeout, " +
	"verdict, verdict_by, verdict_at, verdict_reason"

// insertActions inserts actions, skipping those whose idempotency key
// exists.
func (s *Store) insertActions(ctx context.Context, tx Tx, actions []store.Action) error {
	if len(actions) == 0 {
		return nil
	}
	stmt, err := tx.Prepare(ctx, `INSERT INTO actions (`+actionCols+
		`) VALUES (`+placeholders(26)+`)
		ON CONFLICT (idempotency_key) DO NOTHING`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i, a := range actions {
		if _, err := stmt.ExecContext(ctx, s.actionArgs(a)...); err != nil {
			return fmt.Errorf("actions[%d]: %w", i, err)
		}
	}
	return nil
}

// actionArgs are the values of actionCols for a.
func (s *Store) actionArgs(a store.Action) []any {
	args := []any{a.ID, a.IdempotencyKey, a.SignalID, a.Kind, a.TargetType,
		a.TargetID, a.Scope, a.Reason, a.Policy, a.PolicyRevision,
		rawArg(a.Params), a.State, a.Attempts, diagnostic(a.LastError),
		rawArg(a.Result), s.TimeArg(a.CreatedAt), s.TimeArg(a.UpdatedAt),
		s.TimeArg(a.LeaseUntil), string(a.PrincipalKind),
		s.TimeArg(a.ApprovalDeadline), a.OnTimeout}
	args = append(args, s.verdictArgs(a.Verdict)...)
	return append(args, a.CoalesceKey)
}

// verdictArgs are the values of the verdict columns: empty for none.
func (s *Store) verdictArgs(v *store.Verdict) []any {
	if v == nil {
		return []any{"", "", nil, ""}
	}
	return []any{v.Verdict, v.By, s.TimeArg(v.At), v.Reason}
}

// scanAction scans actionCols.
func scanAction(r RowScanner) (store.Action, error) {
	var a store.Action
	var v store.Verdict
	err := r.Scan(&a.ID, &a.IdempotencyKey, &a.SignalID, &a.Kind,
		&a.TargetType, &a.TargetID, &a.Scope, &a.Reason, &a.Policy,
		&a.PolicyRevision, rawCol{&a.Params}, &a.State, &a.Attempts,
		&a.LastError, rawCol{&a.Result}, timeCol{&a.CreatedAt},
		timeCol{&a.UpdatedAt}, timeCol{&a.LeaseUntil},
		(*string)(&a.PrincipalKind), timeCol{&a.ApprovalDeadline},
		&a.OnTimeout, &v.Verdict, &v.By, timeCol{&v.At}, &v.Reason,
		&a.CoalesceKey)
	if v.Verdict != "" {
		a.Verdict = &v
	}
	return a, err
}

// ClaimActions leases up to limit runnable actions to owner, oldest
// first: pending ones whose not-before time is unset or not after now,
// and running ones whose lease ended before now. Each becomes running
// with one more attempt and a lease until now + lease.
func (s *Store) ClaimActions(ctx context.Context, owner string,
	now time.Time, lease time.Duration, limit int) ([]store.Action, error) {
	op := fmt.Sprintf("claim actions for %q", owner)
	switch {
	case owner == "":
		return nil, fmt.Errorf("%s: owner: required: %w", op, store.ErrInvalid)
	case lease <= 0 || limit <= 0:
		return nil, fmt.Errorf("%s: lease %s and limit %d: must be positive: %w",
			op, lease, limit, store.ErrInvalid)
	}
	var claimed []store.Action
	err := s.Write(ctx, op, func(tx Tx) error {
		var err error
		claimed, err = s.claim(ctx, tx, owner, now, lease, limit)
		return err
	})
	return claimed, err
}

// claim is ClaimActions inside tx.
func (s *Store) claim(ctx context.Context, tx Tx, owner string, now time.Time,
	lease time.Duration, limit int) ([]store.Action, error) {
	at := s.TimeArg(now)
	ids, err := queryAll(ctx, tx, `SELECT id FROM actions
		WHERE (state = ? AND (lease_until IS NULL OR lease_until <= ?))
		OR (state = ? AND lease_until < ?)
		ORDER BY created_at, seq LIMIT ?`,
		[]any{store.ActionPending, at, store.ActionRunning, at, limit},
		func(r RowScanner) (id string, err error) { return id, r.Scan(&id) })
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	stmt, err := tx.Prepare(ctx, `UPDATE actions SET state = ?,
		attempts = attempts + 1, lease_until = ?, lease_owner = ?,
		updated_at = ? WHERE id = ? RETURNING `+actionCols)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	out := make([]store.Action, len(ids))
	for i, id := range ids {
		row := stmt.QueryRowContext(ctx, store.ActionRunning,
			s.TimeArg(now.Add(lease)), owner, at, id)
		if out[i], err = scanAction(row); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// finalStates are the states FinishAction moves an action to.
var finalStates = []string{store.ActionDone, store.ActionFailed,
	store.ActionSkipped}

// FinishAction moves an action to a final state (done, failed, skipped),
// sets its result and last error, ends its lease and appends the audit
// entries, in one transaction.
func (s *Store) FinishAction(ctx context.Context, id, state string,
	result json.RawMessage, lastErr string, audit []store.AuditEntry) error {
	op := fmt.Sprintf("finish action %q", id)
	if !slices.Contains(finalStates, state) {
		return fmt.Errorf("%s: state: %q is not done, failed or skipped: %w",
			op, state, store.ErrInvalid)
	}
	if err := checkJSON("result", result); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.Write(ctx, op, func(tx Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE actions SET state = ?,
			result = ?, last_error = ?, lease_until = NULL,
			lease_owner = '', updated_at = ? WHERE id = ?`, state,
			rawArg(result), diagnostic(lastErr), s.TimeArg(time.Now()), id)
		if err != nil {
			return err
		}
		if err := MustAffect(res, "action", id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, audit)
	})
}

// RetryAction puts an action back to pending, runnable again at notBefore
// (at once when zero), keeping lastErr. Actions that are done or skipped
// are not retried: that is store.ErrInvalid.
func (s *Store) RetryAction(ctx context.Context, id, lastErr string,
	notBefore time.Time) error {
	op := fmt.Sprintf("retry action %q", id)
	return s.Write(ctx, op, func(tx Tx) error {
		a, err := getAction(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.State == store.ActionDone || a.State == store.ActionSkipped {
			return store.Reason(store.ErrInvalid, "it is %s: a done or "+
				"skipped action is not retried", a.State)
		}
		_, err = tx.ExecContext(ctx, `UPDATE actions SET state = ?,
			last_error = ?, lease_until = ?, lease_owner = '',
			updated_at = ? WHERE id = ?`, store.ActionPending, diagnostic(lastErr),
			s.TimeArg(notBefore), s.TimeArg(time.Now()), id)
		return err
	})
}

// GetAction returns the action with that id, or store.ErrNotFound.
func (s *Store) GetAction(ctx context.Context, id string) (store.Action, error) {
	a, err := getAction(ctx, s.Read, id)
	if err != nil {
		return store.Action{}, fmt.Errorf("get action %q: %w", id, err)
	}
	return a, nil
}

// getAction reads one action through db.
func getAction(ctx context.Context, db Querier, id string) (store.Action, error) {
	a, err := scanAction(db.QueryRowContext(ctx, `SELECT `+actionCols+
		` FROM actions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound // the caller names the action
	}
	return a, err
}

// ListActions returns the actions matching f, oldest first.
func (s *Store) ListActions(ctx context.Context,
	f store.ActionFilter) ([]store.Action, error) {
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	var w where
	w.eq("state", f.State)
	w.eq("signal_id", f.SignalID)
	w.eq("kind", f.Kind)
	w.eq("target_type", f.TargetType)
	w.eq("target_id", f.TargetID)
	in(s.Dialect, &w, "principal_kind", f.PrincipalKinds)
	w.timeRange(s.Dialect, "created_at", f.Created)
	if f.AfterID != "" {
		w.add(`(created_at, seq) > (SELECT created_at, seq FROM actions
			WHERE id = ?)`, f.AfterID)
	}
	as, err := queryAll(ctx, s.Read, `SELECT `+actionCols+` FROM actions`+
		w.String()+` ORDER BY created_at, seq`+limit, w.args, scanAction)
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	return as, nil
}

// CountActions counts the actions in states by state and kind.
func (s *Store) CountActions(ctx context.Context,
	states ...string) ([]store.ActionCount, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := make([]any, len(states))
	for i, st := range states {
		args[i] = st
	}
	rows, err := s.Read.QueryContext(ctx, `SELECT state, kind, count(*)
		FROM actions WHERE state IN (?`+strings.Repeat(", ?", len(states)-1)+`)
		GROUP BY state, kind ORDER BY state, kind`, args...)
	if err != nil {
		return nil, fmt.Errorf("count actions: %w", err)
	}
	defer rows.Close()
	var out []store.ActionCount
	for rows.Next() {
		var c store.ActionCount
		if err := rows.Scan(&c.State, &c.Kind, &c.Count); err != nil {
			return nil, fmt.Errorf("count actions: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count actions: %w", err)
	}
	return out, nil
}
