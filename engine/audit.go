package engine

import (
	"encoding/json"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// Audit events the engine writes.
const (
	EventSignalDecided     = "signal.decided"
	EventSignalDeadLetter  = "signal.dead_lettered"
	EventActionSkipped     = "action.skipped"
	EventActionDone        = "action.done"
	EventActionFailed      = "action.failed"
	EventSessionRevoked    = "session.revoked"
	EventCredentialRevoked = "credential.revoked"
	EventPrincipalDisabled = "principal.disabled"
	EventLockPlaced        = "lock.placed"
	EventLockLifted        = "lock.lifted"
	// EventActionApproved and EventActionRejected record an operator's
	// verdict on an action held for approval; EventApprovalExpired the
	// deadline's, and EventBudgetExceeded a budget holding an action.
	EventActionApproved  = "action.approved"
	EventActionRejected  = "action.rejected"
	EventApprovalExpired = "action.approval_expired"
	EventBudgetExceeded  = "budget.exceeded"
	EventNotify          = "notify"
)

// ActorEngine is the audit actor for the engine's own decisions.
const ActorEngine = "engine"

type plannedAction struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Target string `json:"target"`
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func decisionAudit(out Outcome, in rules.Input, revision string,
	now time.Time) []store.AuditEntry {
	principals := make([]string, 0, len(in.Principals))
	for _, p := range in.Principals {
		principals = append(principals, p.ID)
	}
	planned := make([]plannedAction, 0, len(out.Actions))
	for _, a := range out.Actions {
		planned = append(planned, plannedAction{ID: a.ID, Kind: a.Kind,
			Target: a.TargetType + ":" + a.TargetID, State: a.State,
			Reason: a.Reason})
	}
	entries := []store.AuditEntry{{
		Time: now, Actor: ActorEngine, Event: EventSignalDecided,
		Subject: out.SignalID,
		Details: mustJSON(map[string]any{
			"dedup_key": out.Signal.DedupKey, "format": out.Signal.Format,
			"category": out.Signal.Category, "severity": out.Signal.Severity,
			"principals": principals, "unresolved": len(in.Unresolved),
			"actions": planned, "policy_revision": revision,
		}),
	}}
	for _, a := range out.Actions {
		if a.State == store.ActionSkipped {
			entries = append(entries, store.AuditEntry{Time: now,
				Actor: ActorEngine, Event: EventActionSkipped, Subject: a.ID,
				Details: mustJSON(map[string]string{"kind": a.Kind,
					"target": a.TargetType + ":" + a.TargetID,
					"why":    a.LastError})})
		}
	}
	return entries
}

// mustJSON encodes audit details built from plain values, which cannot
// fail to encode.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("engine: audit details do not encode: " + err.Error())
	}
	return b
}
