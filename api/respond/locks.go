package respond

import (
	"context"
	"fmt"
	"time"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// PlaceLock places the caller's lock (audited by the engine with the
// caller as actor). A lock on a principal or a credential needs the
// caller's scope to cover it; a lock on a device or an origin holds
// everyone who uses it, so it needs a scope without a restriction of
// principal kinds or providers.
func (r *Responder) PlaceLock(ctx context.Context, c Caller,
	req engine.LockRequest) (store.Lock, error) {
	req.Operator = c.Name
	if err := r.checkLock(ctx, c.scope(), req.TargetType, req.Target); err != nil {
		return store.Lock{}, err
	}
	return engine.PlaceLock(ctx, r.st, req, r.clock())
}

// LiftLock lifts the lock with that id, as the caller, for reason. An
// unknown lock is store.ErrNotFound; one no longer in force wraps
// store.ErrInvalid.
func (r *Responder) LiftLock(ctx context.Context, c Caller, id,
	reason string) (store.Lock, error) {
	l, err := r.lock(ctx, id)
	if err != nil {
		return store.Lock{}, err
	}
	if err := r.checkLock(ctx, c.scope(), l.TargetType, l.Target); err != nil {
		return store.Lock{}, err
	}
	return engine.LiftLock(ctx, r.st, id, c.Name, reason, r.clock())
}

// lock finds the lock with that id, lifted and expired ones included.
func (r *Responder) lock(ctx context.Context, id string) (store.Lock, error) {
	all, err := r.st.ListLocks(ctx, time.Time{})
	if err != nil {
		return store.Lock{}, fmt.Errorf("list locks: %w", err)
	}
	for _, l := range all {
		if l.ID == id {
			return l, nil
		}
	}
	return store.Lock{}, fmt.Errorf("lock %q: %w", id, store.ErrNotFound)
}

// checkLock refuses a lock target outside the scope. An unknown
// principal or credential may be locked (before it first appears) by a
// caller whose scope takes every kind and provider.
func (r *Responder) checkLock(ctx context.Context, s Scope, typ,
	target string) error {
	what := typ + " " + target
	switch typ {
	case "principal":
		if !s.AllowsProvider("") { // before the lookup: it tells nothing
			return fmt.Errorf("%w: a lock on %s holds at every provider; "+
				"the caller may act on some providers only", ErrForbidden,
				what)
		}
		k, err := r.principalKind(ctx, target)
		if err != nil && !s.AllowsKind("") {
			return fmt.Errorf("%w: %s: %w", ErrOutOfScope, what, err)
		}
		return checkKind(s, what, k)
	case "credential":
		cred, err := r.st.GetCredential(ctx, target)
		if err != nil && (!s.AllowsKind("") || !s.AllowsProvider("")) {
			return fmt.Errorf("%w: %s: %w", ErrOutOfScope, what, err)
		}
		if err != nil {
			return nil
		}
		if err := r.checkPrincipal(ctx, s, what, cred.PrincipalID); err != nil {
			return err
		}
		if !s.AllowsProvider(cred.Store) {
			return fmt.Errorf("%w: %s is kept by %s", ErrOutOfScope, what,
				cred.Store)
		}
		return nil
	}
	return checkEvery(s, what)
}

// checkEvery refuses a scope restricted to some kinds or providers.
func checkEvery(s Scope, what string) error {
	if err := checkKind(s, what, ""); err != nil {
		return err
	}
	if !s.AllowsProvider("") {
		return fmt.Errorf("%w: %s holds sessions at every provider; the "+
			"caller may act on some providers only", ErrForbidden, what)
	}
	return nil
}
