package api

import (
	"context"
	"slices"

	"github.com/killswitch-dev/killswitch/api/respond"
	"github.com/killswitch-dev/killswitch/store"
)

// TerminateSessions revokes a session, a principal's, a credential's or
// a filter's sessions through the engine, as the caller.
func (s *Server) TerminateSessions(ctx context.Context,
	req TerminateSessionsRequestObject) (TerminateSessionsResponseObject, error) {
	r, c, err := s.responder(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	tr := respond.TerminateRequest{SessionID: b.SessionID,
		PrincipalID: b.PrincipalID, CredentialID: b.CredentialID,
		Reason: b.Reason, Confirm: b.Confirm}
	if b.Filter != (SessionFilter{}) {
		caller, _ := CallerFrom(ctx)
		if tr.Filter, err = terminateFilter(caller, b.Filter); err != nil {
			return nil, err
		}
	}
	if b.Confirm < 0 {
		return nil, &FieldError{"confirm", "", "must not be negative"}
	}
	t, err := r.Terminate(ctx, c, tr)
	if err != nil {
		return nil, opsProblem(err, ProblemCodeInvalidBody)
	}
	out := TerminateSessions200JSONResponse{Matched: t.Matched,
		Actions: make([]TerminationAction, len(t.Actions))}
	for i, a := range t.Actions {
		out.Actions[i] = TerminationAction{ID: a.ID, Kind: a.Kind,
			TargetType: a.TargetType, TargetID: a.TargetID, State: a.State,
			LastError: a.LastError}
	}
	return out, nil
}

// terminateFilter is the query a termination's filter makes: the same
// store filter as GET /sessions, narrowed to the caller's scopes, and
// the filter as given, for the audit.
func terminateFilter(c Caller, f SessionFilter) (*respond.SessionQuery, error) {
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, &FieldError{"filter.kind", string(f.Kind), "not one of " +
			enumList(SessionKindBrowser, SessionKindToken, SessionKindAPI,
				SessionKindAgent, SessionKindSSH)}
	}
	q := map[string]string{}
	for k, v := range map[string]string{"principal": f.Principal,
		"kind": string(f.Kind), "provider": f.Provider} {
		if v != "" {
			q[k] = v
		}
	}
	return &respond.SessionQuery{Query: q, Store: store.SessionFilter{
		PrincipalID: f.Principal, Kind: string(f.Kind), Provider: f.Provider,
		Providers:      slices.Clone(c.Scopes.Providers),
		PrincipalKinds: slices.Clone(c.Scopes.PrincipalKinds)}}, nil
}
