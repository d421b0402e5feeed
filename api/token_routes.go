package api

import (
	"context"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// ListTokens lists, without their secrets, the API tokens the caller
// reaches: all of them for an admin without scopes.
func (s *Server) ListTokens(ctx context.Context,
	_ ListTokensRequestObject) (ListTokensResponseObject, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := s.st.ListAPITokens(ctx)
	if err != nil {
		return nil, err
	}
	out := ListTokens200JSONResponse{Items: []Token{}}
	for _, t := range ts {
		if c.reaches(t) {
			out.Items = append(out.Items, token(t))
		}
	}
	return out, nil
}

// CreateToken makes a token no stronger than the caller's and returns
// its secret, this once.
func (s *Server) CreateToken(ctx context.Context,
	req CreateTokenRequestObject) (CreateTokenResponseObject, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	spec := TokenSpec{Name: b.Name, Role: b.Role,
		Scopes: storeScopes(b.Scopes), CreatedBy: c.Actor(),
		CreatedAt: s.now(), ExpiresAt: b.ExpiresAt}
	if err := c.mayGrant(spec); err != nil {
		return nil, err
	}
	t, secret, err := CreateToken(ctx, s.st, spec)
	if err != nil {
		return nil, err
	}
	return CreateToken201JSONResponse{Token: token(t), Secret: secret}, nil
}

// mayGrant refuses a token that would reach further than c: a higher
// role, or wider scopes.
func (c Caller) mayGrant(s TokenSpec) error {
	deny := func(field, value, why string) error {
		p := problem(ProblemCodeForbidden, why)
		p.Parameter, p.Value = field, value
		return p
	}
	if s.Role.Valid() && !c.Can(s.Role) {
		return deny("role", string(s.Role), "above the caller's own role")
	}
	if !within(s.Scopes.PrincipalKinds, c.Scopes.PrincipalKinds) {
		return deny("scopes.principal_kinds", "",
			"must stay within the caller's principal kinds")
	}
	if !within(s.Scopes.Providers, c.Scopes.Providers) {
		return deny("scopes.providers", "",
			"must stay within the caller's providers")
	}
	if !c.ExpiresAt.IsZero() && (s.ExpiresAt.IsZero() ||
		s.ExpiresAt.After(c.ExpiresAt)) {
		return deny("expires_at", formatTime(s.ExpiresAt),
			"must not be later than the caller's own token expires ("+
				c.ExpiresAt.UTC().Format(time.RFC3339)+")")
	}
	return nil
}

// formatTime is t in RFC 3339, "" for zero (never).
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// reaches reports whether c sees and may revoke t: a token it could
// have made, with a role no higher and scopes no wider than its own.
func (c Caller) reaches(t store.APIToken) bool {
	return c.Can(Role(t.Role)) &&
		within(t.Scopes.PrincipalKinds, c.Scopes.PrincipalKinds) &&
		within(t.Scopes.Providers, c.Scopes.Providers)
}

// within reports whether a scope list reaches no further than limit (an
// empty list reaches everything).
func within[T comparable](scope, limit []T) bool {
	if len(limit) == 0 {
		return true
	}
	if len(scope) == 0 {
		return false
	}
	for _, v := range scope {
		if !slices.Contains(limit, v) {
			return false
		}
	}
	return true
}

// RevokeToken revokes a token; revoking it again changes nothing.
func (s *Server) RevokeToken(ctx context.Context,
	req RevokeTokenRequestObject) (RevokeTokenResponseObject, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := s.st.ListAPITokens(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(ts, func(t store.APIToken) bool {
		return t.ID == req.ID
	})
	if i < 0 || !c.reaches(ts[i]) {
		return nil, problem(ProblemCodeNotFound, "no such token")
	}
	t, err := RevokeToken(ctx, s.st, req.ID, c.Actor(), s.now())
	if err != nil {
		return nil, err
	}
	return RevokeToken200JSONResponse(token(t)), nil
}

// token is t as the API shows it: never its secret or its hash.
func token(t store.APIToken) Token {
	return Token{ID: t.ID, Name: t.Name, Role: Role(t.Role),
		Scopes:    apiScopes(t.Scopes),
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt,
		RevokedAt: t.RevokedAt, RevokedBy: t.RevokedBy}
}

// storeScopes and apiScopes convert scopes between the API and the store.
func storeScopes(s TokenScopes) store.TokenScopes {
	out := store.TokenScopes{Providers: s.Providers}
	for _, k := range s.PrincipalKinds {
		out.PrincipalKinds = append(out.PrincipalKinds, store.PrincipalKind(k))
	}
	return out
}

func apiScopes(s store.TokenScopes) TokenScopes {
	out := TokenScopes{Providers: s.Providers}
	for _, k := range s.PrincipalKinds {
		out.PrincipalKinds = append(out.PrincipalKinds, PrincipalKind(k))
	}
	return out
}
