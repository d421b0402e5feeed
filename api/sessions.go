package api

import (
	"context"
	"slices"

	"github.com/killswitch-dev/killswitch/store"
)

// ListSessions lists the sessions in the caller's scope, oldest first.
func (s *Server) ListSessions(ctx context.Context,
	req ListSessionsRequestObject) (ListSessionsResponseObject, error) {
	f, limit, err := sessionQuery(ctx, req.Params)
	if err != nil {
		return nil, err
	}
	ses, err := s.st.ListSessions(ctx, f)
	if err != nil {
		return nil, err
	}
	ses, next := trim(ses, limit, func(s store.Session) cursor {
		return cursor{ID: s.ID, Time: s.CreatedAt}
	})
	page := ListSessions200JSONResponse{Items: make([]Session, len(ses)),
		NextCursor: next}
	for i, x := range ses {
		page.Items[i] = session(x)
	}
	return page, nil
}

// sessionQuery checks the parameters of ListSessions and returns the
// store filter they make, narrowed to the caller's scope.
func sessionQuery(ctx context.Context, p ListSessionsParams) (store.SessionFilter, int, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return store.SessionFilter{}, 0, err
	}
	limit, err := pageLimit(p.Limit)
	if err != nil {
		return store.SessionFilter{}, 0, err
	}
	cur, err := decodeCursor(p.Cursor)
	if err != nil {
		return store.SessionFilter{}, 0, err
	}
	switch {
	case p.Kind != "" && !p.Kind.Valid():
		return store.SessionFilter{}, 0, badParam("kind", string(p.Kind),
			"not one of "+enumList(SessionKindBrowser, SessionKindToken,
				SessionKindAPI, SessionKindAgent, SessionKindSSH))
	case p.Status != "" && !p.Status.Valid():
		return store.SessionFilter{}, 0, badParam("status",
			string(p.Status), "not active, revoked or expired")
	}
	return store.SessionFilter{PrincipalID: p.Principal,
		Kind: string(p.Kind), Provider: p.Provider, Status: string(p.Status),
		Providers:      slices.Clone(c.Scopes.Providers),
		PrincipalKinds: slices.Clone(c.Scopes.PrincipalKinds),
		After:          store.PageKey{Time: cur.Time, ID: cur.ID},
		Limit:          limit + 1}, limit, nil
}

// session is s as the API shows it.
func session(s store.Session) Session {
	o := s.Origin
	out := Session{ID: s.ID, PrincipalID: s.PrincipalID,
		Provider: s.Provider, ExternalID: s.ExternalID, Kind: s.Kind,
		Origin: Origin{IP: o.IP, Device: o.Device, UserAgent: o.UserAgent,
			Host: o.Host, App: o.App, Country: o.Country},
		CredentialID: s.CredentialID, CreatedAt: s.CreatedAt,
		LastSeenAt: s.LastSeenAt, ExpiresAt: s.ExpiresAt,
		Status:           SessionStatus(s.Status),
		RevocationEffect: RevocationEffect(s.Effect)}
	if r := s.Revocation; r != nil {
		out.Revocation = revocation(*r)
	}
	return out
}

// revocation is r as the API shows it.
func revocation(r store.Revocation) Revocation {
	return Revocation{At: r.At, By: r.By, Reason: r.Reason,
		SignalID: r.SignalID, ActionID: r.ActionID}
}
