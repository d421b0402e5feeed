package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// RecordGuarded is RecordSignal under budgets (see store.Guard). The
// write transaction holds the registry's write lock from its start, so
// two engines on one registry count and insert one after the other and
// cannot both take the last unit of a budget.
func (s *Store) RecordGuarded(ctx context.Context, rec store.SignalRecord,
	actions []store.Action, budgets []store.Budget, now time.Time,
	audit store.GuardAudit) (bool, []store.Action, []store.Trip, error) {
	if rec.ID == "" {
		rec.ID = NewID("sig_")
	}
	op := fmt.Sprintf("record signal %q", rec.ID)
	actions, err := prepareActions(rec.ID, actions, now)
	if err == nil {
		err = checkSignal(rec)
	}
	if err == nil {
		err = checkBudgets(budgets)
	}
	if err != nil {
		return false, nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	var recorded bool
	var trips []store.Trip
	err = s.Write(ctx, op, func(tx Tx) error {
		var err error
		recorded, err = s.insertSignal(ctx, tx, rec)
		if err != nil || !recorded {
			return err
		}
		if err := coalesce(ctx, tx, actions); err != nil {
			return err
		}
		if trips, err = s.applyBudgets(ctx, tx, actions, budgets, now); err != nil {
			return err
		}
		if err := s.insertActions(ctx, tx, actions); err != nil {
			return err
		}
		if audit == nil {
			return nil
		}
		return s.appendAudit(ctx, tx, audit(actions, trips))
	})
	if err != nil || !recorded {
		return false, nil, nil, err
	}
	return true, actions, trips, nil
}

// checkBudgets refuses budgets that cannot be applied.
func checkBudgets(budgets []store.Budget) error {
	for i, b := range budgets {
		if b.Limit < 0 || b.Window <= 0 {
			return fmt.Errorf("budgets[%d] (%s): limit %d and window %s: "+
				"want a limit of 0 or more and a positive window: %w",
				i, b.Name, b.Limit, b.Window, store.ErrInvalid)
		}
	}
	return nil
}

// applyBudgets holds for approval each pending action that would take a
// budget past its limit, counting the stored actions in each budget's
// window and those of this batch that were let through before it.
func (s *Store) applyBudgets(ctx context.Context, tx Tx, actions []store.Action,
	budgets []store.Budget, now time.Time) ([]store.Trip, error) {
	if len(budgets) == 0 {
		return nil, nil
	}
	used := make([]int, len(budgets))
	counted := make([]bool, len(budgets))
	var trips []store.Trip
	for i := range actions {
		a := &actions[i]
		if a.State != store.ActionPending {
			continue
		}
		if dup, err := actionKeyExists(ctx, tx, a.IdempotencyKey); err != nil || dup {
			if err != nil {
				return nil, err
			}
			continue
		}
		trip, err := s.firstTrip(ctx, tx, *a, budgets, used, counted, now)
		if err != nil {
			return nil, err
		}
		if trip != nil {
			a.State, a.LastError = store.ActionAwaitingApproval, tripReason(*trip)
			trips = append(trips, *trip)
			continue
		}
		countUse(*a, budgets, used)
	}
	return trips, nil
}

// firstTrip returns the first budget that a would take past its limit.
// used holds each budget's count so far, read from the store the first
// time the budget matters (counted).
func (s *Store) firstTrip(ctx context.Context, tx Tx, a store.Action,
	budgets []store.Budget, used []int, counted []bool,
	now time.Time) (*store.Trip, error) {
	for j, b := range budgets {
		if !b.Matches(a) {
			continue
		}
		if !counted[j] {
			n, err := s.countBudget(ctx, tx, b, now)
			if err != nil {
				return nil, fmt.Errorf("count budget %s: %w", b.Name, err)
			}
			used[j], counted[j] = used[j]+n, true
		}
		if used[j]+1 > b.Limit {
			return &store.Trip{Budget: b, ActionID: a.ID, Count: used[j]}, nil
		}
	}
	return nil, nil
}

// tripReason is the LastError of an action a budget held.
func tripReason(t store.Trip) string {
	return fmt.Sprintf("held for approval: budget %s allows %d in %s "+
		"and %d ran or are to run", t.Budget.Name, t.Budget.Limit,
		t.Budget.Window, t.Count)
}

// countBudget counts the stored actions b matches let run in its window
// before now (see store.BudgetedStates), in the states budgets count.
func (s *Store) countBudget(ctx context.Context, tx Tx, b store.Budget,
	now time.Time) (int, error) {
	var w where
	w.add("coalesce(verdict_at, created_at) > ?", s.TimeArg(now.Add(-b.Window)))
	w.add("state IN ("+placeholders(len(store.BudgetedStates))+")",
		anySlice(store.BudgetedStates)...)
	w.eq("kind", b.Kind)
	w.eq("policy", b.Policy)
	w.eq("principal_kind", string(b.PrincipalKind))
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM actions`+
		w.String(), w.args...).Scan(&n)
	return n, err
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// actionKeyExists reports whether an action with that idempotency key is
// stored: inserting it again does nothing, so it does not count.
func actionKeyExists(ctx context.Context, tx Tx, key string) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM actions
		WHERE idempotency_key = ?`, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// DecideApproval approves or rejects an action awaiting approval.
func (s *Store) DecideApproval(ctx context.Context, id string,
	v store.Verdict, audit func(store.Action) []store.AuditEntry) (store.Action, error) {
	op := fmt.Sprintf("approve action %q", id)
	state := store.ActionPending
	switch {
	case v.Verdict == store.VerdictRejected:
		op, state = fmt.Sprintf("reject action %q", id), store.ActionSkipped
	case v.Verdict != store.VerdictApproved:
		return store.Action{}, fmt.Errorf("%s: verdict: %q is not %s or %s: %w",
			op, v.Verdict, store.VerdictApproved, store.VerdictRejected,
			store.ErrInvalid)
	case strings.TrimSpace(v.By) == "":
		return store.Action{}, fmt.Errorf("%s: by: required: %w", op,
			store.ErrInvalid)
	}
	var out store.Action
	err := s.Write(ctx, op, func(tx Tx) error {
		a, err := getAction(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := store.AwaitsVerdict(a, v.At); err != nil {
			return err
		}
		out, err = s.setVerdict(ctx, tx, a, v, state, audit)
		return err
	})
	return out, err
}

// ExpireApprovals ends the waits whose deadline passed, under budgets.
func (s *Store) ExpireApprovals(ctx context.Context, now time.Time,
	by string, budgets []store.Budget,
	audit store.GuardAudit) ([]store.Action, []store.Trip, error) {
	if err := checkBudgets(budgets); err != nil {
		return nil, nil, fmt.Errorf("expire approvals: %w", err)
	}
	var out []store.Action
	var trips []store.Trip
	err := s.Write(ctx, "expire approvals", func(tx Tx) error {
		due, err := queryAll(ctx, tx, `SELECT `+actionCols+` FROM actions
			WHERE state = ? AND approval_deadline IS NOT NULL
			AND approval_deadline <= ? ORDER BY created_at, seq`,
			[]any{store.ActionAwaitingApproval, s.TimeArg(now)}, scanAction)
		if err != nil {
			return err
		}
		out, trips, err = s.expire(ctx, tx, due, by, budgets, now)
		if err != nil || audit == nil {
			return err
		}
		return s.appendAudit(ctx, tx, audit(out, trips))
	})
	if err != nil {
		return nil, nil, err
	}
	return out, trips, nil
}

// expire ends the waits of due: those to execute that a budget allows
// become pending, the others it holds without a deadline, and the rest
// are skipped.
func (s *Store) expire(ctx context.Context, tx Tx, due []store.Action, by string,
	budgets []store.Budget, now time.Time) ([]store.Action, []store.Trip, error) {
	v := store.Verdict{Verdict: store.VerdictExpired, By: by, At: now,
		Reason: "no verdict before the approval deadline"}
	used := make([]int, len(budgets))
	counted := make([]bool, len(budgets))
	var out []store.Action
	var trips []store.Trip
	for _, a := range due {
		state := store.ActionSkipped
		if a.OnTimeout == store.OnTimeoutExecute {
			state = store.ActionPending
			trip, err := s.firstTrip(ctx, tx, a, budgets, used, counted, now)
			if err != nil {
				return nil, nil, err
			}
			if trip != nil {
				trips = append(trips, *trip)
				if err := s.holdOverBudget(ctx, tx, a, *trip); err != nil {
					return nil, nil, err
				}
				continue
			}
			countUse(a, budgets, used)
		}
		done, err := s.setVerdict(ctx, tx, a, v, state, nil)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, done)
	}
	return out, trips, nil
}

// countUse adds a, let run, to the use of each budget that matches it.
func countUse(a store.Action, budgets []store.Budget, used []int) {
	for j, b := range budgets {
		if b.Matches(a) {
			used[j]++
		}
	}
}

// holdOverBudget keeps a awaiting approval with no deadline: its timeout
// would have let it run past a budget, so a person decides.
func (s *Store) holdOverBudget(ctx context.Context, tx Tx, a store.Action,
	t store.Trip) error {
	_, err := tx.ExecContext(ctx, `UPDATE actions SET last_error = ?,
		approval_deadline = NULL, on_timeout = '', updated_at = ?
		WHERE id = ?`, tripReason(t),
		s.TimeArg(store.NormalizeTime(time.Now())), a.ID)
	return err
}

// setVerdict records v on a, moves it to state (a skipped one with v as
// its last error) and appends audit(a).
func (s *Store) setVerdict(ctx context.Context, tx Tx, a store.Action,
	v store.Verdict, state string,
	audit func(store.Action) []store.AuditEntry) (store.Action, error) {
	if v.At.IsZero() {
		v.At = time.Now()
	}
	v.At = store.NormalizeTime(v.At)
	a.State, a.Verdict, a.LeaseUntil = state, &v, time.Time{}
	if state == store.ActionSkipped {
		a.LastError = fmt.Sprintf("%s by %s: %s", v.Verdict, v.By, v.Reason)
	}
	a.UpdatedAt = store.NormalizeTime(time.Now())
	args := append([]any{a.State, diagnostic(a.LastError),
		s.TimeArg(a.UpdatedAt)},
		s.verdictArgs(a.Verdict)...)
	_, err := tx.ExecContext(ctx, `UPDATE actions SET state = ?,
		last_error = ?, updated_at = ?, lease_until = NULL,
		lease_owner = '', verdict = ?, verdict_by = ?, verdict_at = ?,
		verdict_reason = ? WHERE id = ?`, append(args, a.ID)...)
	if err != nil || audit == nil {
		return a, err
	}
	return a, s.appendAudit(ctx, tx, audit(a))
}
