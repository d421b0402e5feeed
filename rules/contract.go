// Package rules compiles the Rego policies and evaluates
// data.killswitch.response.decision against one signal's input, checking
// the result against the decision contract.
//
// # Compiling
//
// Load compiles every .rego file of a file system except *_test.rego, as
// Rego v1, in OPA's strict mode (unused variables and imports are
// errors), against a JSON schema of Input (reading a field the input does
// not have, or comparing one with a value of another type, is an error),
// and without http.send, net.lookup_ip_addr and opa.runtime. Built-in
// errors at evaluation are errors, not undefined. time.now_ns() returns
// Input.Now.
//
// # The input
//
// Input, as its JSON tags spell it. Every list (principals, sessions,
// credentials, locks, unresolved, signal.subjects, each principal's
// matched_by) is an array, never null; a credential's matched_by is absent
// when the signal did not name it.
//
// # The decision
//
// An object with the keys actions (required, an array; nothing to do is
// {"actions": []}), severity (optional: info, low, medium, high or
// critical) and requires_approval (optional: a boolean, or an object
// {"timeout": "<Go duration>", "on_timeout": "execute" | "drop"} that
// holds the actions for approval and says how long they wait and what
// happens when nobody decides; on_timeout needs a timeout and defaults
// to drop). Each action is an
// object with the keys kind, target, reason (required), scope, ttl, rule
// and mode (optional), all strings but target, which is {"type", "id"}:
//
//	kind               target.type                            scope, ttl
//	revoke_sessions    principal, session, credential         scope
//	revoke_credential  credential                             -
//	disable_principal  principal                              -
//	lock               principal, credential, device, origin  ttl
//	notify             principal                              -
//
// A scope is "all" or "provider:<name>" (empty means all); a ttl is a
// positive Go duration (empty means the engine's DefaultLockTTL, a day).
// A target must be something the input showed: a principal, session or
// credential by id, a device or origin (IP) by a session's origin or a
// subject of the signal.
// A mode is "enforce" (empty means enforce) or "monitor"; a rule listed
// as monitor in data.killswitch.modes makes its actions monitor.
// Anything else (another key, another type, null, an undefined decision)
// is a *PolicyError naming the field, and the policy file and line.
//
// policies/README.md describes the contract for policy authors, and
// policies/schema/ holds its JSON Schemas, generated from these types.
package rules

import (
	"time"

	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// DecisionQuery is the rule every response policy set must define.
const DecisionQuery = "data.killswitch.response.decision"

// SweepQuery is the rule a policy set defines to decide, with the same
// input and decision contract, what a scheduled sweep does about the
// principals it looks at. It is optional.
const SweepQuery = "data.killswitch.sweep.decision"

// The modes of an action. A monitor-mode action is planned, audited and
// reported, and never executed.
const (
	ModeEnforce = "enforce"
	ModeMonitor = "monitor"
)

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
	// Validity is what the credential's issuer said when a sweep last
	// asked whether the exposed credential still works: valid, invalid
	// or unknown; absent when nobody asked.
	Validity store.Validity `json:"validity,omitempty"`
}

// What happens to actions awaiting approval when the decision's
// approval timeout passes with no verdict.
const (
	OnTimeoutExecute = store.OnTimeoutExecute
	OnTimeoutDrop    = store.OnTimeoutDrop
)

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
	// Mode is ModeEnforce (the default when empty) or ModeMonitor. A
	// rule named in data.killswitch.modes as monitor makes its actions
	// monitor whatever the policy said.
	Mode string `json:"mode,omitempty"`
}

// Decision is what data.killswitch.response.decision evaluates to.
type Decision struct {
	Actions []Action `json:"actions"`
	// RequiresApproval holds every action for an operator's approval.
	// The policy sets it with true, or with an object that also gives
	// ApprovalTimeout and OnTimeout:
	//
	//	"requires_approval": {"timeout": "4h", "on_timeout": "execute"}
	RequiresApproval bool `json:"requires_approval,omitempty"`
	// ApprovalTimeout is how long the actions wait for a verdict; zero
	// waits until an operator gives one.
	ApprovalTimeout time.Duration `json:"-"`
	// OnTimeout is what happens when the timeout passes with no verdict:
	// OnTimeoutExecute runs the actions, OnTimeoutDrop (the default)
	// skips them.
	OnTimeout string `json:"-"`
	// Severity is the policy's own view of how serious this is.
	Severity string `json:"severity,omitempty"`
	// Revision is the revision of the policy set that made the decision,
	// set by Evaluate (never by a policy), so a reload between two calls
	// cannot mislabel it.
	Revision string `json:"-"`
	// Guard is what the policy set's data says to the guardrails (its
	// break-glass principals and budgets), set by Evaluate with
	// Revision.
	Guard GuardData `json:"-"`
}
