package respond

import (
	"context"
	"fmt"
	"strings"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// Approve lets an action held for approval run, as the caller, and wakes
// the executor to take it up. Reject skips it. Both are audited by the
// engine in the same write as the verdict. An action that is not awaiting
// approval is store.ErrNotAwaiting; an unknown one store.ErrNotFound.
func (r *Responder) Approve(ctx context.Context, c Caller, id,
	reason string) (store.Action, error) {
	if err := r.checkAction(ctx, c.scope(), id); err != nil {
		return store.Action{}, err
	}
	a, err := engine.Approve(ctx, r.st, id, c.Name, reason, r.clock())
	if err == nil {
		r.x.Wake()
	}
	return a, err
}

// Reject skips an action held for approval, as the caller; see Approve.
func (r *Responder) Reject(ctx context.Context, c Caller, id,
	reason string) (store.Action, error) {
	if err := r.checkAction(ctx, c.scope(), id); err != nil {
		return store.Action{}, err
	}
	return engine.Reject(ctx, r.st, id, c.Name, reason, r.clock())
}

// checkAction refuses an action outside the scope: its principal's
// kind, and the provider it reaches.
func (r *Responder) checkAction(ctx context.Context, s Scope, id string) error {
	a, err := r.st.GetAction(ctx, id)
	if err != nil {
		return fmt.Errorf("action %q: %w", id, err)
	}
	what := "action " + id + " on " + a.TargetType + " " + a.TargetID
	if err := checkKind(s, what, a.PrincipalKind); err != nil {
		return err
	}
	if p := r.actionProvider(ctx, a); !s.AllowsProvider(p) {
		return fmt.Errorf("%w: %s reaches providers the caller may not "+
			"act on", ErrOutOfScope, what)
	}
	return nil
}

// actionProvider is the provider an action reaches: its session's or
// credential's, the one its scope names, or "" (every provider) when
// none is known.
func (r *Responder) actionProvider(ctx context.Context, a store.Action) string {
	switch a.TargetType {
	case "session":
		if s, err := r.st.GetSession(ctx, a.TargetID); err == nil {
			return s.Provider
		}
	case "credential":
		if c, err := r.st.GetCredential(ctx, a.TargetID); err == nil &&
			a.Kind == rules.RevokeCredential {
			return c.Store
		}
	}
	if p, ok := strings.CutPrefix(a.Scope, "provider:"); ok {
		return p
	}
	return ""
}
