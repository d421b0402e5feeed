package api

import (
	"context"
	"slices"

	"github.com/killswitch-dev/killswitch/store"
)

// ListSessions lists the sessions in the caller's scope.
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
	of := listOf("sessions", req.Params)
	ses, next := trim(ses, limit, of, func(x store.Session) cursor {
		return cursor{ID: x.ID, Time: timeOf(f.Order,
			x.CreatedAt, x.LastSeenAt, x.ExpiresAt)}
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
	if err := checkSessionEnums(p); err != nil {
		return store.SessionFilter{}, 0, err
	}
	limit, err := pageLimit(p.Limit)
	if err == nil {
		err = checkRange("created", p.CreatedAfter, p.CreatedBefore)
	}
	if err == nil {
		err = checkRange("last_seen", p.LastSeenAfter, p.LastSeenBefore)
	}
	if err != nil {
		return store.SessionFilter{}, 0, err
	}
	cur, err := decodeCursor(p.Cursor, listOf("sessions", p))
	if err != nil {
		return store.SessionFilter{}, 0, err
	}
	network, err := parseNetwork(p.Network)
	if err != nil {
		return store.SessionFilter{}, 0, err
	}
	country, err := parseCountry("country", p.Country)
	if err != nil {
		return store.SessionFilter{}, 0, err
	}
	return store.SessionFilter{PrincipalID: p.Principal,
		Kind: string(p.Kind), Provider: p.Provider, Status: string(p.Status),
		Providers:      slices.Clone(c.Scopes.Providers),
		PrincipalKinds: slices.Clone(c.Scopes.PrincipalKinds),
		Country:        country, Network: network,
		Effect:   store.Effect(p.RevocationEffect),
		Created:  timeRange(p.CreatedAfter, p.CreatedBefore),
		LastSeen: timeRange(p.LastSeenAfter, p.LastSeenBefore),
		Order:    order(string(p.Sort)),
		After:    store.PageKey{Time: cur.Time, ID: cur.ID},
		Limit:    limit + 1}, limit, nil
}

// checkSessionEnums names the first enum parameter of ListSessions with
// a value its schema does not allow.
func checkSessionEnums(p ListSessionsParams) error {
	switch {
	case p.Kind != "" && !p.Kind.Valid():
		return badParam("kind", string(p.Kind), "not one of "+
			enumList(SessionKindBrowser, SessionKindToken, SessionKindAPI,
				SessionKindAgent, SessionKindSSH))
	case p.Status != "" && !p.Status.Valid():
		return badParam("status", string(p.Status),
			"not active, revoked or expired")
	case p.RevocationEffect != "" && !p.RevocationEffect.Valid():
		return badParam("revocation_effect", string(p.RevocationEffect),
			"not immediate, eventual or at_expiry")
	case p.Sort != "" && !p.Sort.Valid():
		return badParam("sort", string(p.Sort), "not a time to sort "+
			"by: created_at, last_seen_at or expires_at, '-' first for "+
			"newest first")
	}
	return nil
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
