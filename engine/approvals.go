package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// ApprovalStore is what deciding about held actions needs; every
// store.Store is one.
type ApprovalStore interface {
	// DecideApproval records v on the held action id; its errors name
	// the verdict and the action.
	DecideApproval(ctx context.Context, id string, v store.Verdict,
		audit func(store.Action) []store.AuditEntry) (store.Action, error)
}

// Approve lets an action held for approval run: it becomes pending and
// the executor takes it up. Reject skips it. Both are audited with the
// operator as the actor, in the same write as the change. An action that
// is not awaiting approval is store.ErrNotAwaiting; a request without an
// operator or a reason wraps ErrBadRequest.
func Approve(ctx context.Context, st ApprovalStore, id, operator,
	reason string, now time.Time) (store.Action, error) {
	return decide(ctx, st, id, store.VerdictApproved, operator, reason, now)
}

// Reject skips an action held for approval; see Approve.
func Reject(ctx context.Context, st ApprovalStore, id, operator,
	reason string, now time.Time) (store.Action, error) {
	return decide(ctx, st, id, store.VerdictRejected, operator, reason, now)
}

func decide(ctx context.Context, st ApprovalStore, id, verdict, operator,
	reason string, now time.Time) (store.Action, error) {
	if strings.TrimSpace(operator) == "" || strings.TrimSpace(reason) == "" {
		return store.Action{}, fmt.Errorf("%w: a verdict takes the "+
			"operator's name and a reason: both go to the audit trail",
			ErrBadRequest)
	}
	v := store.Verdict{Verdict: verdict, By: "operator:" + operator,
		At: now, Reason: reason}
	event := EventActionApproved
	if verdict == store.VerdictRejected {
		event = EventActionRejected
	}
	// The store's error names the verdict and the action already.
	return st.DecideApproval(ctx, id, v, verdictAudit(event))
}

// verdictAudit builds the audit entry of a verdict on an action.
func verdictAudit(event string) func(store.Action) []store.AuditEntry {
	return func(a store.Action) []store.AuditEntry {
		return []store.AuditEntry{{Time: a.Verdict.At, Actor: a.Verdict.By,
			Event: event, Subject: a.ID, Details: mustJSON(map[string]any{
				"kind": a.Kind, "target": a.TargetType + ":" + a.TargetID,
				"signal_id": a.SignalID, "policy": a.Policy,
				"reason": a.Verdict.Reason, "state": a.State,
				"on_timeout": a.OnTimeout})}}
	}
}

// ExpireApprovals ends the waits whose deadline passed: each action runs
// or is skipped as its decision chose, audited as EventApprovalExpired
// by the engine. One that would run past a blast-radius budget waits for
// a person instead, audited as EventBudgetExceeded and logged at Error.
// It returns how many expired.
func (x *Executor) ExpireApprovals(ctx context.Context) (int, error) {
	var budgets []store.Budget
	if x.cfg.Budgets != nil {
		budgets = x.cfg.Budgets()
	}
	now := x.clock()
	expired, trips, err := x.store.ExpireApprovals(ctx, now, ActorEngine,
		budgets, expiryAudit(now))
	if err != nil {
		return 0, fmt.Errorf("expire approvals: %w", err)
	}
	for _, a := range expired {
		x.log.Warn("approval timed out with no verdict", "action_id", a.ID,
			"kind", a.Kind, "target", a.TargetType+":"+a.TargetID,
			"on_timeout", a.OnTimeout, "state", a.State)
	}
	x.reportTrips(ctx, trips)
	return len(expired), nil
}

// reportTrips says loudly that budgets kept timed-out approvals
// waiting, and counts them.
func (x *Executor) reportTrips(ctx context.Context, trips []store.Trip) {
	for _, t := range trips {
		a, err := x.store.GetAction(ctx, t.ActionID)
		if err != nil {
			a = store.Action{ID: t.ActionID}
		}
		x.log.Error("blast-radius budget exceeded: a timed-out approval "+
			"waits for a person", "budget", t.Budget.Name,
			"limit", t.Budget.Limit, "window", t.Budget.Window,
			"counted", t.Count, "action_id", a.ID, "kind", a.Kind,
			"target", a.TargetType+":"+a.TargetID, "signal_id", a.SignalID)
		x.metrics.BudgetTripped(a.Policy, t.Budget.Name)
	}
}

// expiryAudit builds the audit entries of ExpireApprovals.
func expiryAudit(now time.Time) store.GuardAudit {
	return func(expired []store.Action, trips []store.Trip) []store.AuditEntry {
		var out []store.AuditEntry
		for _, a := range expired {
			out = append(out, verdictAudit(EventApprovalExpired)(a)...)
		}
		return append(out, tripAudit(trips, now)...)
	}
}
