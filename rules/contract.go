// Package rules compiles the Rego policies and evaluates
// data.killswitch.response.decision against one signal's input, checking
// the result against the decision contract.
package rules

import (
	"time"

	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// DecisionQuery is the rule every response policy set must define.
const DecisionQuery = "data.killswitch.response.decision"

// Input is the document a policy sees as `input`.
type Input struct {
	Signal signals.Signal `json:"signal"`
	// Principals are those the signal's subjects resolved to.
	Principals []Principal `json:"principals"`
	// Sessions are the live sessions of those principals, plus any
	// session the signal names directly.
	Sessions []store.Session `json:"sessions"`
	// Credentials are those principals' credentials with derived ages.
	Credentials []Credential `json:"credentials"`
	// Locks are the locks in force now.
	Locks []store.Lock `json:"locks"`
	// Unresolved are the subjects that named nothing in the registry.
	Unresolved []signals.Subject `json:"unresolved"`
	// Now is the evaluation time, RFC 3339 in UTC.
	Now time.Time `json:"now"`
}

// Principal is a resolved principal with the subjects that named it.
type Principal struct {
	store.Principal
	// MatchedBy are the signal's subjects that resolved to it.
	MatchedBy []signals.Subject `json:"matched_by"`
}

// Credential is a credential with the ages a policy compares against.
// Both are whole days, rounded down, computed in Go at Input.Now.
type Credential struct {
	store.Credential
	AgeDays int `json:"age_days"`
	// DaysSinceExposure is -1 when the credential was never exposed.
	DaysSinceExposure int `json:"days_since_exposure"`
	// MatchedBy are the signal's subjects that named this credential.
	MatchedBy []signals.Subject `json:"matched_by,omitempty"`
}

// The action kinds of the closed set in the decision contract.
const (
	RevokeSessions   = "revoke_sessions"
	RevokeCredential = "revoke_credential"
	DisablePrincipal = "disable_principal"
	Lock             = "lock"
	Notify           = "notify"
)

// Target names what an action acts on.
type Target struct {
	// Type is principal, session or credential (lock also takes device
	// and origin).
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Action is one action a policy asks for.
type Action struct {
	Kind   string `json:"kind"`
	Target Target `json:"target"`
	// Scope narrows revoke_sessions: "all" (the default) or
	// "provider:<name>".
	Scope  string `json:"scope,omitempty"`
	Reason string `json:"reason"`
	// Rule names the policy rule that produced it, for the audit trail.
	Rule string `json:"rule,omitempty"`
	// TTL is how long a lock lasts, as a Go duration ("24h").
	TTL string `json:"ttl,omitempty"`
}

// Decision is what data.killswitch.response.decision evaluates to.
type Decision struct {
	Actions          []Action `json:"actions"`
	RequiresApproval bool     `json:"requires_approval,omitempty"`
	// Severity is the policy's own view of how serious this is.
	Severity string `json:"severity,omitempty"`
}
