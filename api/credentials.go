package api

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// ListCredentials lists the credentials in the caller's scope with their
// exposures.
func (s *Server) ListCredentials(ctx context.Context,
	req ListCredentialsRequestObject) (ListCredentialsResponseObject, error) {
	f, limit, err := s.credentialQuery(ctx, req.Params)
	if errors.Is(err, errOutOfScope) {
		return ListCredentials200JSONResponse{Items: []Credential{}}, nil
	}
	if err != nil {
		return nil, err
	}
	cs, err := s.st.ListCredentials(ctx, f)
	if err != nil {
		return nil, err
	}
	of := listOf("credentials", req.Params)
	cs, next := trim(cs, limit, of, func(c store.Credential) cursor {
		return cursor{ID: c.ID, Time: timeOf(f.Order,
			c.CreatedAt, c.LastUsedAt, c.ExpiresAt)}
	})
	page := ListCredentials200JSONResponse{Items: make([]Credential, len(cs)),
		NextCursor: next}
	for i, c := range cs {
		if page.Items[i], err = s.credential(ctx, c); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// credentialQuery checks the parameters of ListCredentials and returns
// the store filter they make, narrowed to the caller's scope.
func (s *Server) credentialQuery(ctx context.Context,
	p ListCredentialsParams) (store.CredentialFilter, int, error) {
	var f store.CredentialFilter
	c, err := callerOf(ctx)
	if err != nil {
		return f, 0, err
	}
	switch {
	case p.Status != "" && !p.Status.Valid():
		return f, 0, badParam("status", string(p.Status),
			"not active, revoked or expired")
	case p.RevocationEffect != "" && !p.RevocationEffect.Valid():
		return f, 0, badParam("revocation_effect",
			string(p.RevocationEffect), "not immediate, eventual or at_expiry")
	case p.Sort != "" && !p.Sort.Valid():
		return f, 0, badParam("sort", string(p.Sort), "not a time to "+
			"sort by: created_at, last_used_at or expires_at, '-' first "+
			"for newest first")
	}
	limit, err := pageLimit(p.Limit)
	if err == nil {
		err = checkRange("created", p.CreatedAfter, p.CreatedBefore)
	}
	if err != nil {
		return f, 0, err
	}
	cur, err := decodeCursor(p.Cursor, listOf("credentials", p))
	if err != nil {
		return f, 0, err
	}
	f = store.CredentialFilter{PrincipalID: p.Principal,
		Status: string(p.Status), Kind: p.Kind,
		Effect:         store.Effect(p.RevocationEffect),
		Stores:         slices.Clone(c.Scopes.Providers),
		PrincipalKinds: slices.Clone(c.Scopes.PrincipalKinds),
		Exposed:        p.Exposed, StillValid: p.StillValid,
		Created: timeRange(p.CreatedAfter, p.CreatedBefore),
		Order:   order(string(p.Sort)),
		After:   store.PageKey{Time: cur.Time, ID: cur.ID}, Limit: limit + 1}
	if p.Provider != "" {
		if !c.InScope("", p.Provider) {
			return f, 0, errOutOfScope
		}
		f.Stores = []string{p.Provider}
	}
	if p.OlderThan != "" {
		age, err := parseAge("older_than", p.OlderThan)
		if err != nil {
			return f, 0, err
		}
		f.ExposedBefore = s.now().Add(-age)
	}
	return f, limit, nil
}

// GetCredential returns one credential in the caller's scope.
func (s *Server) GetCredential(ctx context.Context,
	req GetCredentialRequestObject) (GetCredentialResponseObject, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	cred, err := s.st.GetCredential(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	ok, err := newScope(s.st, c).owned(ctx, cred.PrincipalID, cred.Store)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, problem(ProblemCodeNotFound, "no such record")
	}
	out, err := s.credential(ctx, cred)
	return GetCredential200JSONResponse(out), err
}

// credential is c as the API shows it, with its exposures and the ages
// derived from now.
func (s *Server) credential(ctx context.Context, c store.Credential) (Credential, error) {
	es, err := s.st.ListExposures(ctx, store.ExposureFilter{CredentialID: c.ID})
	if err != nil {
		return Credential{}, err
	}
	now := s.now()
	out := Credential{ID: c.ID, PrincipalID: c.PrincipalID, Kind: c.Kind,
		Store: c.Store, ExternalID: c.ExternalID, Fingerprint: c.Fingerprint,
		CreatedAt: c.CreatedAt, RotatedAt: c.RotatedAt,
		LastUsedAt: c.LastUsedAt, ExpiresAt: c.ExpiresAt,
		Status:           SessionStatus(c.Status),
		RevocationEffect: RevocationEffect(c.Effect),
		AgeDays:          days(now, c.CreatedAt),
		Exposures:        make([]ExposureRecord, len(es))}
	if r := c.Revocation; r != nil {
		out.Revocation = revocation(*r)
	}
	for i, e := range es {
		out.Exposures[i] = ExposureRecord{ID: e.ID, Source: e.Source,
			Where: e.Where, FirstSeen: e.FirstSeen, LastSeen: e.LastSeen,
			SignalID: e.SignalID, Validity: Validity(e.Validity),
			CheckedAt: e.CheckedAt}
	}
	exposed := store.ExposedCredential{Credential: c, Exposures: es}
	out.FirstExposedAt = exposed.FirstSeen()
	if out.FirstExposedAt.IsZero() && c.Exposure != nil {
		out.FirstExposedAt = c.Exposure.At
	}
	out.DaysSinceExposure = days(now, out.FirstExposedAt)
	v, _ := exposed.Checked()
	out.Validity = Validity(v)
	return out, nil
}

// days is the whole days from t to now; 0 for the zero time.
func days(now, t time.Time) int {
	if t.IsZero() {
		return 0
	}
	return int(now.Sub(t) / (24 * time.Hour))
}
