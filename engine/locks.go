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
	ResolveAlias(ctx context.Context, typ, value string) ([]store.Alias, error)
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

// aliasTypes are the aliases an operator is likely to name a principal
// by, looked up to say which principal a lock should name.
var aliasTypes = []string{"email", "username", "user_id", "client_id"}

// checkHeld refuses a lock on a principal or a credential the registry
// does not hold: it would match nothing (a lock compares ids), while the
// operator believes the account locked. When the target is an alias, the
// error names the principal to lock instead.
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
	for _, typ := range aliasTypes {
		as, err := st.ResolveAlias(ctx, typ, req.Target)
		if err != nil {
			return err
		}
		for _, a := range as {
			switch {
			case req.TargetType == "principal":
				why += "; it is an alias of principal " + a.PrincipalID
			case a.CredentialID != "":
				why += "; it is an alias of credential " + a.CredentialID
			default:
				continue
			}
			return fmt.Errorf("%w: %s", ErrBadRequest, why)
		}
	}
	return fmt.Errorf("%w: %s", ErrBadRequest, why)
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
