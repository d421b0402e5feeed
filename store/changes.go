package store

import (
	"context"
	"time"
)

// Changes is the registry's own account of what changed, for readers
// that keep a copy of it (the introspection index) or tell others (the
// revocation stream). A backend records it in the transaction of the
// change, whoever writes: the engine, the CLI, import and sync, another
// process or instance on the same store.
//
// Sequence numbers must become visible in order: a reader that has seen
// number n must never later see a smaller one commit, or it would skip
// it. SQLite, with one writer at a time, gives that for free; a backend
// with concurrent writers (PostgreSQL) must serialise the numbering with
// the commit, for example by taking a transaction-scoped lock before it
// draws a number.
type Changes interface {
	// ChangedSince returns the sessions, credentials, principals and
	// locks whose latest change came after cursor, at most limit of them
	// (0: a backend's default), as they are now. A record changed twice
	// since cursor is returned once. ChangeSet.Cursor is where to ask
	// from next; ChangeSet.More says whether more changes are waiting.
	// Cursor 0 returns the whole registry, limit records at a time.
	ChangedSince(ctx context.Context, cursor int64, limit int) (ChangeSet, error)
	// RevocationLog returns the log's entries with Seq greater than
	// after, in order, at most limit (0: a backend's default).
	RevocationLog(ctx context.Context, after int64, limit int) ([]RevocationEntry, error)
	// LastRevocationSeq is the Seq of the newest log entry, 0 when the
	// log is empty.
	LastRevocationSeq(ctx context.Context) (int64, error)
	// PruneRevocationLog deletes the oldest entries of the log: every
	// entry before the first one whose At is at or after before, so that
	// what is left is always the log's tail and a reader can tell what it
	// missed. The newest entry is never deleted. It returns how many
	// entries went and RevocationLogPruned after.
	PruneRevocationLog(ctx context.Context, before time.Time) (deleted int, through int64, err error)
	// RevocationLogPruned is the Seq of the newest entry ever pruned, 0
	// when nothing was: a reader after a smaller Seq has missed entries.
	RevocationLogPruned(ctx context.Context) (int64, error)
}

// ChangeSet is one page of ChangedSince.
type ChangeSet struct {
	Sessions    []Session
	Credentials []Credential
	Principals  []Principal
	Locks       []Lock
	// Cursor covers every change in this set: the next ChangedSince
	// from it returns only later ones. It equals the cursor asked with
	// when nothing changed.
	Cursor int64
	// More is true when the page was full: ask again from Cursor.
	More bool
}

// Len is how many records the set holds.
func (c ChangeSet) Len() int {
	return len(c.Sessions) + len(c.Credentials) + len(c.Principals) +
		len(c.Locks)
}

// The types of revocation log entries. They are also the event names of
// the revocation stream and of webhooks.
const (
	EntrySessionRevoked    = "session.revoked"
	EntryCredentialRevoked = "credential.revoked"
	EntryPrincipalDisabled = "principal.disabled"
	EntryLockPlaced        = "lock.placed"
	EntryLockLifted        = "lock.lifted"
)

// RevocationEntry is one entry of the append-only revocation log: a
// session or credential revoked, a principal disabled, a lock placed or
// lifted. Seq is assigned by the store, increases with every entry and
// is never reused, so it can serve as a durable event id. A session or
// credential is logged as revoked when it becomes revoked from any other
// status, expired too, whether an update revokes it or it is written
// again as revoked; one first written as revoked is not logged.
type RevocationEntry struct {
	Seq  int64  `json:"seq"`
	Type string `json:"type"`
	// TargetID is the id of the session, credential, principal or lock.
	TargetID    string `json:"target_id"`
	PrincipalID string `json:"principal_id,omitempty"`
	// Provider is the session's provider or the credential's store.
	Provider   string    `json:"provider,omitempty"`
	ExternalID string    `json:"external_id,omitempty"`
	At         time.Time `json:"at"`
	By         string    `json:"by,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	SignalID   string    `json:"signal_id,omitempty"`
	ActionID   string    `json:"action_id,omitempty"`
	// LockTargetType and LockTarget say what a lock holds; ExpiresAt is
	// when it ends (zero: when lifted).
	LockTargetType string    `json:"lock_target_type,omitempty"`
	LockTarget     string    `json:"lock_target,omitempty"`
	ExpiresAt      time.Time `json:"expires_at,omitzero"`
}
