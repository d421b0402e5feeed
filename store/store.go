package store

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"time"
)

// Sentinel errors every backend returns, for callers to branch on with
// errors.Is.
var (
	// ErrNotFound: no record has that id.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a record breaks a rule of the data model (an unknown
	// principal kind, a session of a principal that does not exist).
	ErrInvalid = errors.New("invalid record")
	// ErrConflict: a record with that id or unique key exists already.
	ErrConflict = errors.New("already exists")
)

// PrincipalFilter selects principals; zero fields match everything.
type PrincipalFilter struct {
	Kind   PrincipalKind
	Status string
	// Kinds, when not empty, restricts the match to these kinds.
	Kinds []PrincipalKind
	// Providers, when not empty, restricts the match to principals with
	// a session of one of these providers or a credential of one of
	// these stores.
	Providers []string
	Created   TimeRange
	// AfterID returns only principals whose id sorts after it, for
	// paging in list order.
	AfterID string
	Limit   int
}

// SessionFilter selects sessions; zero fields match everything. IDs, when
// not empty, restricts the match to those session ids.
type SessionFilter struct {
	IDs          []string
	PrincipalID  string
	CredentialID string
	// ExternalID matches the provider's own session id.
	ExternalID string
	Kind       string
	Provider   string
	Status     string
	// Providers and PrincipalKinds, when not empty, restrict the match
	// to sessions of these providers and of principals of these kinds.
	Providers      []string
	PrincipalKinds []PrincipalKind
	// Country matches the origin's country; Network, when valid, the
	// origin IP addresses within that prefix.
	Country string
	Network netip.Prefix
	// Effect matches how revoking the session takes effect.
	Effect Effect
	// Created and LastSeen keep the sessions whose times fall in them.
	Created  TimeRange
	LastSeen TimeRange
	// Order is the list order; After, when its ID is set, keeps only
	// the sessions after that key in it, for paging.
	Order Order
	After PageKey
	Limit int
}

// SessionCount is how many sessions of principals of one kind one
// provider holds.
type SessionCount struct {
	PrincipalKind PrincipalKind `json:"principal_kind"`
	Provider      string        `json:"provider"`
	Count         int           `json:"count"`
}

// TimeRange is the times from From (inclusive) to To (exclusive); a
// zero end is open.
type TimeRange struct {
	From, To time.Time
}

// Order orders a list by one of its time columns (a zero time first),
// then by id; Desc reverses both. The zero Order is by creation time.
type Order struct {
	// By names the column: created_at (""), last_seen_at, expires_at,
	// last_used_at, as the record has them.
	By   string
	Desc bool
}

// PageKey is a record's place in an Order: the time in its sort column
// (zero when it has none) and its id.
type PageKey struct {
	Time time.Time
	ID   string
}

// CredentialFilter selects credentials; zero fields match everything.
type CredentialFilter struct {
	PrincipalID string
	Status      string
	Kind        string
	// Effect matches how revoking the credential takes effect.
	Effect Effect
	// Stores and PrincipalKinds, when not empty, restrict the match to
	// credentials of these stores and of principals of these kinds.
	Stores         []string
	PrincipalKinds []PrincipalKind
	// Exposed keeps the credentials the exposure ledger holds; StillValid
	// those whose latest validity check said valid; ExposedBefore, when
	// set, those first exposed before it. Either of the last two implies
	// Exposed.
	Exposed       bool
	StillValid    bool
	ExposedBefore time.Time
	Created       TimeRange
	// Order is by created_at (""), last_used_at or expires_at; After
	// keeps the credentials after that key in it.
	Order Order
	After PageKey
	Limit int
}

// ActionFilter selects actions; zero fields match everything.
type ActionFilter struct {
	State      string
	SignalID   string
	Kind       string
	TargetType string
	TargetID   string
	// PrincipalKinds, when not empty, keeps the actions on principals of
	// these kinds (Action.PrincipalKind).
	PrincipalKinds []PrincipalKind
	Created        TimeRange
	// AfterID keeps the actions listed after the one with that id.
	AfterID string
	Limit   int
}

// SignalFilter selects processed signals, newest first; zero fields
// match everything.
type SignalFilter struct {
	Format   string
	Category string
	Severity string
	Received TimeRange
	// AfterID keeps the signals listed after the one with that id.
	AfterID string
	Limit   int
}

// AuditFilter selects audit entries in sequence order.
type AuditFilter struct {
	// AfterSeq returns only entries with a greater sequence number.
	AfterSeq int64
	Subject  string
	Limit    int // Latest returns the last Limit entries that match instead of the
	// first, still in sequence order.
	Latest bool
}

// Inventory is the part of the registry that describes who and what
// exists: principals, aliases, sessions, credentials.
type Inventory interface {
	// PutPrincipal inserts or replaces a principal.
	PutPrincipal(ctx context.Context, p Principal) error
	// GetPrincipal returns ErrNotFound for an unknown id.
	GetPrincipal(ctx context.Context, id string) (Principal, error)
	ListPrincipals(ctx context.Context, f PrincipalFilter) ([]Principal, error)
	// SetPrincipalStatus sets a principal's status ("active",
	// "disabled"); changed is false when it already had that status.
	SetPrincipalStatus(ctx context.Context, id, status string) (changed bool, err error)

	// PutAlias inserts or replaces the alias (Type, Value, PrincipalID).
	PutAlias(ctx context.Context, a Alias) error
	// ResolveAlias returns every alias with that type and value; one
	// identifier may name several principals. The value of a type that
	// FoldsCase matches whatever the case of its ASCII letters.
	ResolveAlias(ctx context.Context, typ, value string) ([]Alias, error)
	ListAliases(ctx context.Context, principalID string) ([]Alias, error)
	// FindAliases returns every alias with that value, whatever its
	// type, ordered by principal id, type and value; for an operator who
	// has an identifier but not the system it comes from. An alias of a
	// type that FoldsCase matches whatever the case, as in ResolveAlias.
	FindAliases(ctx context.Context, value string) ([]Alias, error)

	// PutSession inserts or replaces a session; its principal must exist.
	// A new active session (or one that was not active) that a lock in
	// force covers is refused with a *LockedError (ErrLocked).
	PutSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, id string) (Session, error)
	ListSessions(ctx context.Context, f SessionFilter) ([]Session, error)
	// CountSessions counts the sessions matching f (its order, paging
	// and limit aside) by principal kind and provider, largest group
	// first.
	CountSessions(ctx context.Context, f SessionFilter) ([]SessionCount, error)
	// RevokeSessions marks every active session matching f as revoked
	// with rev. It returns the sessions it revoked now and, when
	// rev.ActionID is set, those an earlier call with the same ActionID
	// revoked, so a retried action reports the same result.
	RevokeSessions(ctx context.Context, f SessionFilter, rev Revocation) ([]Session, error)

	// PutCredential inserts or replaces a credential; its principal must
	// exist. A new active credential that a lock in force on its
	// principal or its id covers is refused with a *LockedError.
	PutCredential(ctx context.Context, c Credential) error
	GetCredential(ctx context.Context, id string) (Credential, error)
	ListCredentials(ctx context.Context, f CredentialFilter) ([]Credential, error)
	// RevokeCredential marks the credential revoked; changed is false
	// when it already was.
	RevokeCredential(ctx context.Context, id string, rev Revocation) (c Credential, changed bool, err error)
	// MarkExposed records an exposure; an earlier exposure is kept.
	MarkExposed(ctx context.Context, credentialID string, e Exposure) error
}

// Locks holds the locks placed on principals, credentials, devices and
// origins. Locks are never deleted: Guard.LiftLock ends one and keeps it.
type Locks interface {
	// PutLock inserts or replaces a lock. Writing a lock again without a
	// lift (a re-import, a retried action) keeps an earlier lift. An
	// origin lock whose target CheckOrigin refuses is ErrInvalid.
	PutLock(ctx context.Context, l Lock) error
	// ListLocks returns the locks in force at now (not expired, not
	// lifted), or all of them, history included, when now is zero.
	ListLocks(ctx context.Context, now time.Time) ([]Lock, error)
}

// Outbox holds processed signals and the actions they asked for.
type Outbox interface {
	// RecordSignal stores a processed signal with its actions and audit
	// entries in one transaction. It returns false, and writes nothing,
	// when a signal with the same DedupKey was recorded before. An action
	// whose IdempotencyKey exists already is not inserted again.
	RecordSignal(ctx context.Context, rec SignalRecord, actions []Action, audit []AuditEntry) (bool, error)
	GetSignal(ctx context.Context, id string) (SignalRecord, error)
	ListSignals(ctx context.Context, limit int) ([]SignalRecord, error)
	// FindSignals returns the signals matching f, newest first.
	FindSignals(ctx context.Context, f SignalFilter) ([]SignalRecord, error)

	// ClaimActions leases up to limit runnable actions to owner: pending
	// ones whose LeaseUntil (their not-before time) has passed, and
	// running ones whose lease expired. Claimed actions are running,
	// with Attempts incremented and LeaseUntil = now + lease.
	ClaimActions(ctx context.Context, owner string, now time.Time,
		lease time.Duration, limit int) ([]Action, error)
	// FinishAction moves an action to a final state (done, failed,
	// skipped) with its result, and appends the audit entries, in one
	// transaction.
	FinishAction(ctx context.Context, id, state string,
		result json.RawMessage, lastErr string, audit []AuditEntry) error
	// RetryAction puts a claimed action back to pending, runnable again
	// at notBefore, keeping lastErr.
	RetryAction(ctx context.Context, id, lastErr string, notBefore time.Time) error
	GetAction(ctx context.Context, id string) (Action, error)
	ListActions(ctx context.Context, f ActionFilter) ([]Action, error)
}

// Audit is the append-only, hash-chained audit trail.
type Audit interface {
	// AppendAudit appends entries in order, assigning Seq, PrevHash and
	// Hash (see ChainHash).
	AppendAudit(ctx context.Context, entries ...AuditEntry) error
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// Store is the whole registry, as every backend provides it.
type Store interface {
	Inventory
	Locks
	Outbox
	Audit
	Propagation
	Guard
	Exposures
	SweepRuns
	Stats
	APITokens
	Changes
	// Close releases the backend's resources.
	Close() error
}
