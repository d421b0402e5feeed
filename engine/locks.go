package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// LockTargets are the kinds of target a lock may hold.
var LockTargets = []string{"principal", "credential", "device", "origin"}

// LockRequest is an operator's lock, from the CLI or the API.
type LockRequest struct {
	// TargetType is one of LockTargets; an origin Target is an IP
	// address or a CIDR prefix.
	TargetType string
	Target     string
	Reason     string
	// Operator becomes the lock's author and the audit actor
	// "operator:<name>".
	Operator string
	// Expires ends the lock; zero keeps it until it is lifted.
	Expires time.Time
}

func (r LockRequest) validate(now time.Time) error {
	switch {
	case !slices.Contains(LockTargets, r.TargetType):
		return fmt.Errorf("%w: lock target %q is not one of %s",
			ErrBadRequest, r.TargetType, strings.Join(LockTargets, ", "))
	case strings.TrimSpace(r.Target) == "":
		return &FieldError{"target", r.Target, "the lock's target is required"}
	case strings.TrimSpace(r.Reason) == "":
		return &FieldError{"reason", r.Reason, "a reason is required: it " +
			"goes to the audit trail"}
	case strings.TrimSpace(r.Operator) == "":
		return fmt.Errorf("%w: the operator's name is required", ErrBadRequest)
	case !r.Expires.IsZero() && !r.Expires.After(now):
		at := r.Expires.UTC().Format(time.RFC3339)
		return &FieldError{"expires_at", at, "the lock would expire at " +
			at + ", not after now"}
	}
	if r.TargetType == "origin" {
		if err := store.CheckOrigin(r.Target); err != nil {
			return &FieldError{"target", r.Target, "origin " + err.Error()}
		}
	}
	return nil
}

// lockStore is what placing and lifting locks needs.
type lockStore interface {
	GetPrincipal(ctx context.Context, id string) (store.Principal, error)
	GetCredential(ctx context.Context, id string) (store.Credential, error)
	FindAliases(ctx context.Context, value string) ([]store.Alias, error)
	PutLock(ctx context.Context, l store.Lock) error
	LiftLock(ctx context.Context, id, by, reason string, at time.Time) (store.Lock, error)
	AppendAudit(ctx context.Context, entries ...store.AuditEntry) error
}

// PlaceLock places an operator's lock and audits it. Until it expires or
// is lifted, the registry refuses new sessions and credentials of its
// target. A request that is incomplete wraps ErrBadRequest.
func PlaceLock(ctx context.Context, st lockStore, req LockRequest,
	now time.Time) (store.Lock, error) {
	if err := req.validate(now); err != nil {
		return store.Lock{}, err
	}
	if err := checkHeld(ctx, st, req); err != nil {
		return store.Lock{}, err
	}
	by := "operator:" + req.Operator
	l := store.Lock{ID: newLockID(), TargetType: req.TargetType,
		Target: req.Target, Reason: req.Reason, CreatedBy: by,
		CreatedAt: now, ExpiresAt: req.Expires}
	if err := st.PutLock(ctx, l); err != nil {
		return store.Lock{}, fmt.Errorf("place lock: %w", err)
	}
	err := st.AppendAudit(ctx, store.AuditEntry{Time: now, Actor: by,
		Event: EventLockPlaced, Subject: l.TargetType + ":" + l.Target,
		Details: mustJSON(map[string]any{"lock_id": l.ID,
			"reason": l.Reason, "expires_at": l.ExpiresAt})})
	if err != nil {
		return l, fmt.Errorf("audit lock %s: %w", l.ID, err)
	}
	return l, nil
}

// checkHeld refuses a lock on a principal or a credential the registry
// does not hold: it would match nothing (a lock compares ids), while the
// operator believes the account locked. When the target is an alias, the
// error names the principal or credential to lock instead.
func checkHeld(ctx context.Context, st lockStore, req LockRequest) error {
	var err error
	switch req.TargetType {
	case "principal":
		_, err = st.GetPrincipal(ctx, req.Target)
	case "credential":
		_, err = st.GetCredential(ctx, req.Target)
	default:
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	why := fmt.Sprintf("%s %q is not in the registry: a lock on it "+
		"would refuse nothing", req.TargetType, req.Target)
	owner, err := aliasOwner(ctx, st, req.TargetType, req.Target)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: %s%s", ErrBadRequest, why, owner)
}

// aliasFinder finds the aliases that hold a value, of any type.
type aliasFinder interface {
	FindAliases(ctx context.Context, value string) ([]store.Alias, error)
}

// aliasOwner says, for an operator's request naming a principal or a
// credential by a value that is no id in the registry, whose alias that
// value is: "; it is an alias of principal alice", or "" when it is
// none of a principal (for what "principal") or of a credential (for
// "credential").
func aliasOwner(ctx context.Context, st aliasFinder, what, value string) (string, error) {
	as, err := st.FindAliases(ctx, value)
	if err != nil {
		return "", fmt.Errorf("find aliases: %w", err)
	}
	var ids []string
	for _, a := range as {
		id := a.PrincipalID
		if what == "credential" {
			id = a.CredentialID
		}
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	switch len(ids) {
	case 0:
		return "", nil
	case 1:
		return "; it is an alias of " + what + " " + ids[0], nil
	}
	return "; it is an alias of " + what + "s " + strings.Join(ids, ", "), nil
}

// LiftLock ends a lock in force, keeping it in history, and audits who
// lifted it and why.
func LiftLock(ctx context.Context, st lockStore, id, operator,
	reason string, now time.Time) (store.Lock, error) {
	if strings.TrimSpace(reason) == "" || strings.TrimSpace(operator) == "" {
		return store.Lock{}, fmt.Errorf("%w: lifting a lock takes a "+
			"reason and the operator's name", ErrBadRequest)
	}
	by := "operator:" + operator
	l, err := st.LiftLock(ctx, id, by, reason, now)
	if err != nil {
		return store.Lock{}, err
	}
	err = st.AppendAudit(ctx, store.AuditEntry{Time: now, Actor: by,
		Event: EventLockLifted, Subject: l.TargetType + ":" + l.Target,
		Details: mustJSON(map[string]any{"lock_id": l.ID,
			"reason": reason, "placed_by": l.CreatedBy})})
	if err != nil {
		return l, fmt.Errorf("audit lift of lock %s: %w", l.ID, err)
	}
	return l, nil
}

// newLockID is a random "lck_" id for an operator's lock.
func newLockID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "lck_" + hex.EncodeToString(b)
}
