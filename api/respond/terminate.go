package respond

import (
	"context"
	"fmt"
	"strings"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// TerminateRequest names what to terminate: exactly one of a session,
// all live sessions of a principal, a credential with the sessions it
// backs, or the live sessions a filter matches.
type TerminateRequest struct {
	SessionID    string
	PrincipalID  string
	CredentialID string
	Filter       *SessionQuery
	// Reason is required: it goes to the audit trail and to the
	// providers that take one.
	Reason string
	// Confirm is the number of sessions the caller expects Filter to
	// match; required when it matches more than Config.ConfirmOver.
	// Zero means not given.
	Confirm int
}

// SessionQuery selects sessions the way the API's session listing does:
// Store narrows in the store, Match (when set) further, and the caller's
// scope last. Query is the filter as the caller gave it, for the audit.
type SessionQuery struct {
	Store store.SessionFilter
	Match func(store.Session) bool
	Query map[string]string
}

// ConfirmError refuses a termination by filter that matched more
// sessions than may go without confirmation, or another number than the
// caller confirmed. Nothing was done.
type ConfirmError struct {
	Matched   int
	Confirmed int
	Over      int
}

func (e *ConfirmError) Error() string {
	if e.Confirmed != 0 {
		return fmt.Sprintf("the filter matches %s, not the "+
			"%d confirmed: look again and confirm %d", liveSessions(e.Matched),
			e.Confirmed, e.Matched)
	}
	return fmt.Sprintf("the filter matches %s, more than "+
		"%d: send confirm: %d to terminate them all", liveSessions(e.Matched),
		e.Over, e.Matched)
}

// liveSessions is "1 live session" or "N live sessions".
func liveSessions(n int) string {
	if n == 1 {
		return "1 live session"
	}
	return fmt.Sprintf("%d live sessions", n)
}

// Termination is what a termination did.
type Termination struct {
	// Matched is how many live sessions the request covered when it
	// was checked, and Sessions their ids.
	Matched  int
	Sessions []string
	// Actions are the engine's actions, finished or waiting for a retry
	// in the outbox; none when a filter matched nothing.
	Actions []store.Action
}

// Terminate revokes what req names through the engine's outbox, as the
// caller. It refuses, before anything is recorded, a request without a
// reason or with several targets (engine.ErrBadRequest), one naming what
// the registry does not hold (store.ErrNotFound), one touching what the
// caller's scope does not cover (ErrForbidden), and a filter that needs
// confirming (*ConfirmError).
func (r *Responder) Terminate(ctx context.Context, c Caller,
	req TerminateRequest) (Termination, error) {
	mreq, ids, err := r.plan(ctx, c, req)
	if err != nil || (req.Filter != nil && len(ids) == 0) {
		return Termination{}, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
	defer cancel()
	acts, err := r.x.Revoke(ctx, r.st, mreq)
	return Termination{Matched: len(ids), Sessions: ids, Actions: acts}, err
}

// plan checks req and turns it into the engine's request, with the live
// sessions it covers.
func (r *Responder) plan(ctx context.Context, c Caller,
	req TerminateRequest) (engine.ManualRequest, []string, error) {
	m := engine.ManualRequest{Operator: c.Name, Reason: req.Reason,
		SessionID: req.SessionID, PrincipalID: req.PrincipalID,
		CredentialID: req.CredentialID}
	if strings.TrimSpace(req.Reason) == "" {
		return m, nil, &engine.FieldError{Field: "reason", Value: req.Reason,
			Reason: "reason: required: it goes to the audit trail"}
	}
	if req.Filter == nil {
		ids, err := r.checkTarget(ctx, c.scope(), req)
		return m, ids, err
	}
	if req.SessionID != "" || req.PrincipalID != "" || req.CredentialID != "" {
		return m, nil, fmt.Errorf("%w: name a session, a principal, a "+
			"credential or a filter, not several", engine.ErrBadRequest)
	}
	ids, err := r.match(ctx, c.scope(), *req.Filter)
	if err != nil || len(ids) == 0 {
		return m, nil, err
	}
	n := len(ids)
	if (n > r.cfg.ConfirmOver || req.Confirm != 0) && req.Confirm != n {
		return m, nil, &ConfirmError{Matched: n, Confirmed: req.Confirm,
			Over: r.cfg.ConfirmOver}
	}
	m.SessionIDs, m.Filter = ids, req.Filter.Query
	return m, ids, nil
}

// checkTarget checks that the caller may terminate the one target req
// names, and lists its live sessions.
func (r *Responder) checkTarget(ctx context.Context, s Scope,
	req TerminateRequest) ([]string, error) {
	switch {
	case req.SessionID != "":
		ses, err := r.st.GetSession(ctx, req.SessionID)
		if err != nil {
			return nil, fmt.Errorf("session %q: %w", req.SessionID, err)
		}
		what := "session " + ses.ID
		if err := r.checkPrincipal(ctx, s, what, ses.PrincipalID); err != nil {
			return nil, err
		}
		return liveIDs([]store.Session{ses}), checkProviders(s, what,
			[]store.Session{ses})
	case req.PrincipalID != "":
		what := "principal " + req.PrincipalID
		if !s.AllowsProvider("") { // before the lookup: it tells nothing
			return nil, fmt.Errorf("%w: the sessions of %s may be at any "+
				"provider and the caller may act on some only: terminate "+
				"by a filter with the principal and a provider", ErrForbidden,
				what)
		}
		if err := r.checkPrincipal(ctx, s, what, req.PrincipalID); err != nil {
			return nil, err
		}
		return r.checkLive(ctx, s, what,
			store.SessionFilter{PrincipalID: req.PrincipalID})
	case req.CredentialID != "":
		return r.checkCredential(ctx, s, req.CredentialID)
	}
	return nil, fmt.Errorf("%w: name a session, a principal, a credential "+
		"or a filter", engine.ErrBadRequest)
}

func (r *Responder) checkCredential(ctx context.Context, s Scope,
	id string) ([]string, error) {
	cred, err := r.st.GetCredential(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("credential %q: %w", id, err)
	}
	what := "credential " + id
	if err := r.checkPrincipal(ctx, s, what, cred.PrincipalID); err != nil {
		return nil, err
	}
	if !s.AllowsProvider(cred.Store) {
		return nil, fmt.Errorf("%w: %s is kept by %s", ErrOutOfScope, what,
			cred.Store)
	}
	return r.checkLive(ctx, s, what, store.SessionFilter{CredentialID: id})
}

// checkPrincipal refuses a principal of a kind outside the scope.
func (r *Responder) checkPrincipal(ctx context.Context, s Scope, what,
	id string) error {
	k, err := r.principalKind(ctx, id)
	if err != nil {
		return err
	}
	return checkKind(s, what, k)
}

// checkLive refuses when a live session f matches is at a provider
// outside the scope, and lists them.
func (r *Responder) checkLive(ctx context.Context, s Scope, what string,
	f store.SessionFilter) ([]string, error) {
	f.Status = store.StatusActive
	live, err := r.st.ListSessions(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list live sessions of %s: %w", what, err)
	}
	return liveIDs(live), checkProviders(s, what, live)
}

// match lists the ids of the live sessions q selects within the scope.
func (r *Responder) match(ctx context.Context, s Scope,
	q SessionQuery) ([]string, error) {
	f := q.Store
	f.Status = store.StatusActive
	live, err := r.st.ListSessions(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	kinds := map[string]store.PrincipalKind{}
	var ids []string
	for _, ses := range live {
		if (q.Match != nil && !q.Match(ses)) || !s.AllowsProvider(ses.Provider) {
			continue
		}
		k, ok := kinds[ses.PrincipalID]
		if !ok {
			if k, err = r.principalKind(ctx, ses.PrincipalID); err != nil {
				return nil, err
			}
			kinds[ses.PrincipalID] = k
		}
		if s.AllowsKind(k) {
			ids = append(ids, ses.ID)
		}
	}
	return ids, nil
}

// liveIDs lists the ids of the active sessions of ss.
func liveIDs(ss []store.Session) []string {
	var ids []string
	for _, s := range ss {
		if s.Status == store.StatusActive {
			ids = append(ids, s.ID)
		}
	}
	return ids
}
