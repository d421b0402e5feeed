// Package store is the registry: principals, their aliases, sessions and
// credentials, locks, the action outbox, processed signals and the
// hash-chained audit trail. Store is the contract every backend meets;
// store/storetest holds the conformance suite that proves it.
package store

import (
	"encoding/json"
	"slices"
	"time"
)

// PrincipalKind says what kind of identity a principal is.
type PrincipalKind string

// The principal kinds.
const (
	KindHuman          PrincipalKind = "human"
	KindServiceAccount PrincipalKind = "service_account"
	KindAPIClient      PrincipalKind = "api_client"
	KindAgent          PrincipalKind = "agent"
	KindWorkload       PrincipalKind = "workload"
)

// Valid reports whether k is one of the principal kinds.
func (k PrincipalKind) Valid() bool {
	switch k {
	case KindHuman, KindServiceAccount, KindAPIClient, KindAgent,
		KindWorkload:
		return true
	}
	return false
}

// Principal is a person or non-human identity.
type Principal struct {
	ID          string            `json:"id"`
	Kind        PrincipalKind     `json:"kind"`
	DisplayName string            `json:"display_name,omitempty"`
	Owner       string            `json:"owner,omitempty"`
	Status      string            `json:"status"` // active, disabled
	Labels      map[string]string `json:"labels,omitempty"`
	// BreakGlass principals are never acted on automatically.
	BreakGlass bool      `json:"break_glass"`
	CreatedAt  time.Time `json:"created_at"`
}

// Alias is an identifier that names a principal in some system. When it
// names one credential of the principal (an access key id, a secret's
// fingerprint), CredentialID is set too.
type Alias struct {
	Type         string `json:"type"`
	Value        string `json:"value"`
	PrincipalID  string `json:"principal_id"`
	CredentialID string `json:"credential_id,omitempty"`
}

// CaseFoldedAliasTypes are the alias types whose values name the same
// identity whatever the case of their ASCII letters: e-mail addresses
// and user names, which identity providers (Okta, Entra ID, GitHub, AWS
// IAM) compare so, while alerts and inventories spell them as they
// please (Alice@Example.com, Codertocat). Every other identifier (a
// provider's user or session id, a key id, a hash) is compared exactly.
var CaseFoldedAliasTypes = []string{"email", "username"}

// FoldsCase reports whether aliasType is one of CaseFoldedAliasTypes.
func FoldsCase(aliasType string) bool {
	return slices.Contains(CaseFoldedAliasTypes, aliasType)
}

// Session statuses.
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
	StatusExpired = "expired"
)

// Origin is where a session came from.
type Origin struct {
	IP        string `json:"ip,omitempty"`
	Device    string `json:"device,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	Host      string `json:"host,omitempty"`
	App       string `json:"app,omitempty"`
	Country   string `json:"country,omitempty"`
}

// Revocation records when, by whom and why something was revoked. On a
// session or credential with status expired it records when and why it
// was found ended: By is then "sync:<provider>" when the inventory sync
// no longer found it at its provider.
type Revocation struct {
	At time.Time `json:"at"`
	// By is the actor: "policy:<rule>" or "operator:<name>".
	By     string `json:"by"`
	Reason string `json:"reason"`
	// SignalID and ActionID link an automatic revocation to its cause;
	// both are empty for an operator's.
	SignalID string `json:"signal_id,omitempty"`
	ActionID string `json:"action_id,omitempty"`
}

// Effect says how a revocation at the provider takes effect, so that a
// responder sees the real time to effect. Empty means not known.
type Effect string

// The revocation effects.
const (
	// EffectImmediate: the provider checks a server-side session or
	// token on every use; revoked is gone at once.
	EffectImmediate Effect = "immediate"
	// EffectEventual: the provider propagates the revocation within
	// minutes (Entra ID, AWS IAM).
	EffectEventual Effect = "eventual"
	// EffectAtExpiry: a self-contained token (a JWT) is honoured until
	// its exp whatever the provider is told.
	EffectAtExpiry Effect = "at_expiry"
)

// Valid reports whether e is empty or one of the effects.
func (e Effect) Valid() bool {
	switch e {
	case "", EffectImmediate, EffectEventual, EffectAtExpiry:
		return true
	}
	return false
}

// Session is one live (or once live) session of a principal.
type Session struct {
	ID           string      `json:"id"`
	PrincipalID  string      `json:"principal_id"`
	Provider     string      `json:"provider"`
	ExternalID   string      `json:"external_id,omitempty"`
	Kind         string      `json:"kind"` // browser, token, api, agent, ssh
	Origin       Origin      `json:"origin"`
	CredentialID string      `json:"credential_id,omitempty"`
	CreatedAt    time.Time   `json:"created_at"`
	LastSeenAt   time.Time   `json:"last_seen_at,omitzero"`
	ExpiresAt    time.Time   `json:"expires_at,omitzero"`
	Status       string      `json:"status"`
	Revocation   *Revocation `json:"revocation,omitempty"`
	// Effect is how revoking it at its provider takes effect.
	Effect Effect `json:"revocation_effect,omitempty"`
}

// Exposure records that a credential leaked: when and through what.
type Exposure struct {
	At     time.Time `json:"at"`
	Source string    `json:"source"` // e.g. "github_secret_scanning"
	Where  string    `json:"where,omitempty"`
}

// Credential is a secret or key that backs sessions. The secret itself is
// never stored: Fingerprint is "sha256:<hex>" of it, or the issuer's key
// id when that is all there is.
type Credential struct {
	ID          string      `json:"id"`
	PrincipalID string      `json:"principal_id"`
	Kind        string      `json:"kind"` // password, api_key, access_key, ...
	Store       string      `json:"store"`
	ExternalID  string      `json:"external_id,omitempty"`
	Fingerprint string      `json:"fingerprint,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	RotatedAt   time.Time   `json:"rotated_at,omitzero"`
	LastUsedAt  time.Time   `json:"last_used_at,omitzero"`
	ExpiresAt   time.Time   `json:"expires_at,omitzero"`
	Exposure    *Exposure   `json:"exposure,omitempty"`
	Status      string      `json:"status"`
	Revocation  *Revocation `json:"revocation,omitempty"`
	// Effect is how revoking it at its store takes effect.
	Effect Effect `json:"revocation_effect,omitempty"`
}

// Lock keeps new sessions and credentials from using its target until it
// expires or is lifted. A lifted or expired lock is kept, as history.
type Lock struct {
	ID string `json:"id"`
	// TargetType is principal, credential, device or origin; an origin
	// Target is an IP address or a CIDR prefix.
	TargetType string    `json:"target_type"`
	Target     string    `json:"target"`
	Reason     string    `json:"reason"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	// LiftedAt, LiftedBy and LiftReason say when, by whom and why the
	// lock was lifted before it expired; LiftedAt is zero while it was
	// not.
	LiftedAt   time.Time `json:"lifted_at,omitzero"`
	LiftedBy   string    `json:"lifted_by,omitempty"`
	LiftReason string    `json:"lift_reason,omitempty"`
}

// InForce reports whether l holds at now: not lifted, not expired.
func (l Lock) InForce(now time.Time) bool {
	if !l.LiftedAt.IsZero() && !l.LiftedAt.After(now) {
		return false
	}
	return l.ExpiresAt.IsZero() || l.ExpiresAt.After(now)
}

// Action states.
const (
	ActionPending          = "pending"
	ActionAwaitingApproval = "awaiting_approval"
	ActionRunning          = "running"
	ActionDone             = "done"
	ActionFailed           = "failed"
	ActionSkipped          = "skipped"
)

// Action is one intended change in the world, kept in the outbox until it
// is done. IdempotencyKey is unique: a second insert with the same key is
// ignored.
type Action struct {
	ID             string `json:"id"`
	IdempotencyKey string `json:"idempotency_key"`
	SignalID       string `json:"signal_id,omitempty"`
	// Kind is revoke_sessions, revoke_credential, disable_principal, lock
	// or notify.
	Kind       string `json:"kind"`
	TargetType string `json:"target_type"`
	TargetID   string `json:"target_id"`
	Scope      string `json:"scope,omitempty"`
	Reason     string `json:"reason"`
	// Policy names the rule, and PolicyRevision the policy set, that
	// asked for it.
	Policy         string          `json:"policy,omitempty"`
	PolicyRevision string          `json:"policy_revision,omitempty"`
	Params         json.RawMessage `json:"params,omitempty"`
	State          string          `json:"state"`
	Attempts       int             `json:"attempts"`
	LastError      string          `json:"last_error,omitempty"`
	// Result is what execution did, as JSON (the sessions it revoked).
	Result    json.RawMessage `json:"result,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	// LeaseUntil is when a running action's claim lapses and another
	// executor may take it.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// PrincipalKind is the kind of the principal the target belongs to
	// (empty for a device or origin), for blast-radius budgets.
	PrincipalKind PrincipalKind `json:"principal_kind,omitempty"`
	// ApprovalDeadline is when an action awaiting approval stops
	// waiting and OnTimeout happens to it; zero waits for an operator.
	ApprovalDeadline time.Time `json:"approval_deadline,omitzero"`
	// OnTimeout is OnTimeoutExecute or OnTimeoutDrop.
	OnTimeout string `json:"on_timeout,omitempty"`
	// Verdict is how the wait for approval ended; nil while it lasts or
	// when the action never waited.
	Verdict *Verdict `json:"verdict,omitempty"`
	// CoalesceKey names the action's effect: actions with the same
	// non-empty key do the same thing when they run. RecordGuarded
	// stores an action planned pending while another with its key is
	// pending (not yet claimed) as skipped instead, its LastError naming
	// that one, which covers it when it runs; it counts against no
	// budget. An action planned awaiting approval is likewise coalesced
	// into one pending or awaiting approval, so that an operator is
	// asked once about one effect.
	CoalesceKey string `json:"coalesce_key,omitempty"`
}

// What happens to an action awaiting approval when its deadline passes.
const (
	OnTimeoutExecute = "execute"
	OnTimeoutDrop    = "drop"
)

// The verdicts on an action held for approval.
const (
	VerdictApproved = "approved"
	VerdictRejected = "rejected"
	// VerdictExpired: nobody decided before the deadline; the action's
	// OnTimeout decided.
	VerdictExpired = "expired"
)

// Verdict records who decided about an action held for approval, when,
// how and why.
type Verdict struct {
	Verdict string    `json:"verdict"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Reason  string    `json:"reason,omitempty"`
}

// SignalRecord is a processed signal: its dedup key and the decision made.
type SignalRecord struct {
	ID             string          `json:"id"`
	DedupKey       string          `json:"dedup_key"`
	Format         string          `json:"format"`
	Category       string          `json:"category"`
	Severity       string          `json:"severity"`
	Time           time.Time       `json:"time"`
	ReceivedAt     time.Time       `json:"received_at"`
	PolicyRevision string          `json:"policy_revision,omitempty"`
	Signal         json.RawMessage `json:"signal"`
	Decision       json.RawMessage `json:"decision,omitempty"`
}

// AuditEntry is one link of the append-only audit chain. Seq, PrevHash and
// Hash are assigned by the store on append.
type AuditEntry struct {
	Seq      int64           `json:"seq"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	Event    string          `json:"event"`
	Subject  string          `json:"subject"`
	Details  json.RawMessage `json:"details,omitempty"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}
