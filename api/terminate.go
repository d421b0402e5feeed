package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

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
		return nil, opsProblem(err, ProblemCodeInvalidBody, targetOf(b))
	}
	out := TerminateSessions200JSONResponse{Matched: t.Matched,
		SessionIDs: t.Sessions, Actions: make([]TerminationAction, len(t.Actions))}
	if out.SessionIDs == nil {
		out.SessionIDs = []string{}
	}
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
	if err := checkFilterEnums(f); err != nil {
		return nil, err
	}
	for _, r := range []struct {
		name          string
		after, before time.Time
	}{{"created", f.CreatedAfter, f.CreatedBefore},
		{"last_seen", f.LastSeenAfter, f.LastSeenBefore}} {
		var p *Problem
		if errors.As(checkRange(r.name, r.after, r.before), &p) {
			return nil, &FieldError{"filter." + p.Parameter, p.Value,
				p.Detail}
		}
	}
	network, err := parseNetwork(f.Network)
	if err != nil {
		return nil, &FieldError{"filter.network", f.Network,
			"not a CIDR prefix (203.0.113.0/24) or an IP address"}
	}
	country, err := store.ParseCountry(f.Country)
	if err != nil {
		return nil, &FieldError{"filter.country", f.Country, err.Error()}
	}
	return &respond.SessionQuery{Query: filterQuery(f),
		Store: store.SessionFilter{PrincipalID: f.Principal,
			Kind: string(f.Kind), Provider: f.Provider,
			Providers:      slices.Clone(c.Scopes.Providers),
			PrincipalKinds: slices.Clone(c.Scopes.PrincipalKinds),
			Country:        country, Network: network,
			Effect:   store.Effect(f.RevocationEffect),
			Created:  timeRange(f.CreatedAfter, f.CreatedBefore),
			LastSeen: timeRange(f.LastSeenAfter, f.LastSeenBefore)}}, nil
}

// checkFilterEnums names the first enum field of a filter with a value
// its schema does not allow.
func checkFilterEnums(f SessionFilter) error {
	switch {
	case f.Kind != "" && !f.Kind.Valid():
		return &FieldError{"filter.kind", string(f.Kind), "not one of " +
			enumList(SessionKindBrowser, SessionKindToken, SessionKindAPI,
				SessionKindAgent, SessionKindSSH)}
	case f.RevocationEffect != "" && !f.RevocationEffect.Valid():
		return &FieldError{"filter.revocation_effect",
			string(f.RevocationEffect), "not immediate, eventual or at_expiry"}
	}
	return nil
}

// filterQuery is the filter as given, its set fields by JSON name.
func filterQuery(f SessionFilter) map[string]string {
	b, _ := json.Marshal(f)
	var q map[string]any
	_ = json.Unmarshal(b, &q)
	out := make(map[string]string, len(q))
	for k, v := range q {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// targetOf names what a termination asks for, for a problem.
func targetOf(b *TerminateSessionsJSONRequestBody) string {
	switch {
	case b.SessionID != "":
		return "session " + b.SessionID
	case b.PrincipalID != "":
		return "principal " + b.PrincipalID
	case b.CredentialID != "":
		return "credential " + b.CredentialID
	}
	return "such record"
}
