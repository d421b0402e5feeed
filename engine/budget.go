package engine

import (
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// TripCounter counts the actions a blast-radius budget held for
// approval, by the policy rule that asked for each and the budget's
// name. *Metrics is one.
type TripCounter interface {
	BudgetTripped(policy, budget string)
}

// budgetsFor are the budgets in force for a decision: the configured
// ones and those of the policy set that made it.
func (g Guardrails) budgetsFor(dec rules.Decision) []store.Budget {
	return slices.Concat(g.Budgets, dec.Guard.Budgets)
}

// guardSource is an evaluator that tells the guard data of the policy
// set in force, as *rules.PolicySet and *rules.Reloader do.
type guardSource interface{ Guard() rules.GuardData }

// budgetsInForce returns the budgets in force when it is called: the
// configured ones and those of ev's policy set at that time.
func (g Guardrails) budgetsInForce(ev Evaluator) func() []store.Budget {
	return func() []store.Budget {
		var data rules.GuardData
		if gs, ok := ev.(guardSource); ok {
			data = gs.Guard()
		}
		return g.budgetsFor(rules.Decision{Guard: data})
	}
}

// tripAudit is an EventBudgetExceeded entry per held action.
func tripAudit(trips []store.Trip, now time.Time) []store.AuditEntry {
	out := make([]store.AuditEntry, 0, len(trips))
	for _, t := range trips {
		b := t.Budget
		out = append(out, store.AuditEntry{Time: now, Actor: ActorEngine,
			Event: EventBudgetExceeded, Subject: t.ActionID,
			Details: mustJSON(map[string]any{"budget": b.Name,
				"limit": b.Limit, "window": b.Window.String(),
				"kind": b.Kind, "policy": b.Policy,
				"principal_kind": b.PrincipalKind, "counted": t.Count,
				"state": store.ActionAwaitingApproval})})
	}
	return out
}

// reportTrips says loudly that budgets held actions, and counts them.
func (p *Pipeline) reportTrips(out Outcome, trips []store.Trip) {
	for _, t := range trips {
		a := findAction(out.Actions, t.ActionID)
		p.log.Error("blast-radius budget exceeded: action held for approval",
			"budget", t.Budget.Name, "limit", t.Budget.Limit,
			"window", t.Budget.Window, "counted", t.Count,
			"action_id", t.ActionID, "kind", a.Kind,
			"target", a.TargetType+":"+a.TargetID, "signal_id", out.SignalID)
		if p.guard.Trips != nil {
			p.guard.Trips.BudgetTripped(a.Policy, t.Budget.Name)
		}
	}
}

func findAction(as []store.Action, id string) store.Action {
	for _, a := range as {
		if a.ID == id {
			return a
		}
	}
	return store.Action{ID: id}
}
