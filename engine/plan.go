package engine

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// Guardrails decide which of a decision's actions may run on their own.
// The zero value lets every action run, except on break-glass principals,
// which are never acted on automatically whatever the configuration.
type Guardrails struct {
	// DryRun plans and audits every action but executes none: each is
	// stored as skipped with the reason "dry run". An action the policy
	// marks monitor (rules.ModeMonitor) is skipped with the reason
	// "monitor mode" whatever DryRun says.
	DryRun bool
	// Protected lists principal ids treated like break-glass principals.
	// The policy set's data may name more
	// (data.killswitch.break_glass.principals); both apply whatever the
	// policies decide.
	Protected []string
	// Budgets bound how many actions run on their own per window, for
	// all engines on the store. Over budget, an action waits for
	// approval instead, audited as EventBudgetExceeded and logged at
	// Error. The policy set's data may add more
	// (data.killswitch.budgets).
	Budgets []store.Budget
	// Trips counts the actions a budget held. Default: the service's
	// Metrics (killswitch_budget_trips_total), when it has any.
	Trips TripCounter
}

// Plan turns a decision into outbox actions. Each action's idempotency key
// is the signal's dedup key, the action kind, the target and the scope, so
// a redelivered signal plans the very same actions. A decision naming
// one kind, target and scope twice plans it once (see distinct).
func (g Guardrails) Plan(signalID string, sig signals.Signal, in rules.Input,
	dec rules.Decision, revision string, now time.Time) []store.Action {
	actions := make([]store.Action, 0, len(dec.Actions))
	for _, a := range distinct(dec.Actions) {
		act := newAction(signalID, sig, a, revision, now)
		switch reason := g.holdReason(a, in, dec.Guard.BreakGlass); {
		case reason != "":
			act.State, act.LastError = store.ActionSkipped, reason
		case a.Mode == rules.ModeMonitor:
			act.State, act.LastError = store.ActionSkipped, "monitor mode"
		case g.DryRun:
			act.State, act.LastError = store.ActionSkipped, "dry run"
		case dec.RequiresApproval:
			holdForApproval(&act, dec, now)
		}
		act.PrincipalKind = ownerKind(a.Target, in)
		actions = append(actions, act)
	}
	return actions
}

// distinct keeps one action per kind, target and scope, the parts of
// its idempotency key that vary within a decision: the outbox holds one
// action per key, and the audit trail must say what it holds. Of
// repeats it keeps the first, unless that one is monitored and a later
// one is enforced: a rule in monitor mode never silences another's.
func distinct(actions []rules.Action) []rules.Action {
	out := make([]rules.Action, 0, len(actions))
	at := make(map[string]int, len(actions))
	for _, a := range actions {
		key := strings.Join([]string{a.Kind,
			a.Target.Type + ":" + a.Target.ID, a.Scope}, "|")
		i, seen := at[key]
		switch {
		case !seen:
			at[key] = len(out)
			out = append(out, a)
		case out[i].Mode == rules.ModeMonitor && a.Mode != rules.ModeMonitor:
			out[i] = a
		}
	}
	return out
}

func newAction(signalID string, sig signals.Signal, a rules.Action,
	revision string, now time.Time) store.Action {
	key := strings.Join([]string{sig.DedupKey, a.Kind,
		a.Target.Type + ":" + a.Target.ID, a.Scope}, "|")
	var params json.RawMessage
	if a.TTL != "" {
		params, _ = json.Marshal(map[string]string{"ttl": a.TTL})
	}
	return store.Action{
		ID: "act_" + shortHash(key), IdempotencyKey: key,
		SignalID: signalID, Kind: a.Kind, TargetType: a.Target.Type,
		TargetID: a.Target.ID, Scope: a.Scope, Reason: boundedReason(a.Reason),
		Policy: a.Rule, PolicyRevision: revision, Params: params,
		State: store.ActionPending, CreatedAt: now, UpdatedAt: now,
		CoalesceKey: coalesceKey(a, params),
	}
}

// MaxReasonBytes bounds the reason an action keeps. Policies quote
// alerts in their reasons, and an alert may be megabytes: the reason
// goes into every revocation event, Shared Signals event, webhook and
// audit entry of the action, and a revocation event past what Kafka
// takes failed the action after a day of retries, enforcement points
// never told. The decision recorded with the signal keeps it whole.
const MaxReasonBytes = 1024

// boundedReason is r cut to MaxReasonBytes at a character boundary,
// saying how many bytes were cut.
func boundedReason(r string) string {
	if len(r) <= MaxReasonBytes {
		return r
	}
	cut := MaxReasonBytes
	for cut > 0 && !utf8.RuneStart(r[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes cut)", r[:cut], len(r)-cut)
}

// coalesceKey names what an action does (store.Action.CoalesceKey): its
// kind, target, scope and parameters, so that a storm of alerts deciding
// the same runs it once while it waits. A notification tells of its own
// signal, so it has none.
func coalesceKey(a rules.Action, params json.RawMessage) string {
	if a.Kind == rules.Notify {
		return ""
	}
	return strings.Join([]string{a.Kind, a.Target.Type + ":" + a.Target.ID,
		a.Scope, string(params)}, "|")
}

// holdReason says why an action must not run automatically, or "".
// breakGlass are the policy data's break-glass principals.
func (g Guardrails) holdReason(a rules.Action, in rules.Input,
	breakGlass []string) string {
	owner, ok := targetOwner(a.Target, in)
	if !ok {
		return fmt.Sprintf("target %s %s is not in the policy input",
			a.Target.Type, a.Target.ID)
	}
	if owner == "" {
		return ""
	}
	if namedIn(g.Protected, owner) {
		return fmt.Sprintf("principal %s is protected: never acted on automatically", owner)
	}
	if namedIn(breakGlass, owner) {
		return fmt.Sprintf("principal %s is break-glass in the policy "+
			"data: never acted on automatically", owner)
	}
	for _, p := range in.Principals {
		if p.ID == owner && p.BreakGlass {
			return fmt.Sprintf("principal %s is break-glass: never acted on automatically", owner)
		}
	}
	return ""
}

// holdForApproval makes act wait for an operator, until the decision's
// approval timeout when it has one.
func holdForApproval(act *store.Action, dec rules.Decision, now time.Time) {
	act.State = store.ActionAwaitingApproval
	act.LastError = "held for approval: the decision requires it"
	if dec.ApprovalTimeout > 0 {
		act.ApprovalDeadline = now.Add(dec.ApprovalTimeout)
		act.OnTimeout = cmp.Or(dec.OnTimeout, store.OnTimeoutDrop)
	}
}

// ownerKind is the kind of the principal a target belongs to, or "" for
// a device, an origin or a target the input did not show.
func ownerKind(t rules.Target, in rules.Input) store.PrincipalKind {
	owner, _ := targetOwner(t, in)
	for _, p := range in.Principals {
		if p.ID == owner {
			return p.Kind
		}
	}
	return ""
}

// targetOwner finds the principal a target belongs to. Devices and
// origins belong to nobody ("", true).
func targetOwner(t rules.Target, in rules.Input) (string, bool) {
	switch t.Type {
	case "principal":
		for _, p := range in.Principals {
			if p.ID == t.ID {
				return p.ID, true
			}
		}
	case "session":
		for _, s := range in.Sessions {
			if s.ID == t.ID {
				return s.PrincipalID, true
			}
		}
	case "credential":
		for _, c := range in.Credentials {
			if c.ID == t.ID {
				return c.PrincipalID, true
			}
		}
	case "device", "origin":
		return "", true
	}
	return "", false
}

// signalID is derived from the dedup key, so a redelivery has the same id.
func signalID(sig signals.Signal) string {
	return "sig_" + shortHash(sig.DedupKey)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:10])
}
