package api

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/killswitch-dev/killswitch/store"
)

// ListPrincipals lists the principals in the caller's scope, or those an
// alias names.
func (s *Server) ListPrincipals(ctx context.Context,
	req ListPrincipalsRequestObject) (ListPrincipalsResponseObject, error) {
	p := req.Params
	c, f, limit, err := principalQuery(ctx, p)
	if err != nil {
		return nil, err
	}
	if p.Provider != "" && !c.InScope("", p.Provider) {
		return ListPrincipals200JSONResponse{Items: []Principal{}}, nil
	}
	var ps []store.Principal
	if p.AliasType != "" || p.Alias != "" {
		ps, err = s.principalsByAlias(ctx, newScope(s.st, c), p.AliasType,
			p.Alias, f)
	} else {
		ps, err = s.st.ListPrincipals(ctx, f)
	}
	if err != nil {
		return nil, err
	}
	ps, next := trim(ps, limit, listOf("principals", p),
		func(p store.Principal) cursor {
			return cursor{ID: p.ID}
		})
	page := ListPrincipals200JSONResponse{Items: []Principal{},
		NextCursor: next}
	sc := newScope(s.st, c)
	for _, sp := range ps {
		out, err := s.principal(ctx, sc, sp)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, out)
	}
	return page, nil
}

// principalQuery checks the parameters of ListPrincipals and returns the
// caller and the store filter they make, narrowed to the caller's scope.
func principalQuery(ctx context.Context, p ListPrincipalsParams) (Caller,
	store.PrincipalFilter, int, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return c, store.PrincipalFilter{}, 0, err
	}
	limit, err := pageLimit(p.Limit)
	if err == nil {
		err = checkRange("created", p.CreatedAfter, p.CreatedBefore)
	}
	if err != nil {
		return c, store.PrincipalFilter{}, 0, err
	}
	cur, err := decodeCursor(p.Cursor, listOf("principals", p))
	if err != nil {
		return c, store.PrincipalFilter{}, 0, err
	}
	f := store.PrincipalFilter{Kind: store.PrincipalKind(p.Kind),
		Status: string(p.Status), Kinds: c.Scopes.PrincipalKinds,
		Providers: c.Scopes.Providers,
		Created:   timeRange(p.CreatedAfter, p.CreatedBefore),
		AfterID:   cur.ID, Limit: limit + 1}
	if p.Provider != "" {
		f.Providers = []string{p.Provider}
	}
	switch {
	case p.Kind != "" && !p.Kind.Valid():
		err = badParam("kind", string(p.Kind), "not one of "+
			enumList(PrincipalKindHuman, PrincipalKindServiceAccount,
				PrincipalKindAPIClient, PrincipalKindAgent,
				PrincipalKindWorkload))
	case p.Status != "" && !p.Status.Valid():
		err = badParam("status", string(p.Status), "not active or disabled")
	case p.AliasType == "" && p.Alias != "":
		err = badParam("alias_type", "", "required with alias")
	case p.Alias == "" && p.AliasType != "":
		err = badParam("alias", "", "required with alias_type")
	}
	return c, f, limit, err
}

// principalsByAlias returns the principals an alias names that match f,
// in id order.
func (s *Server) principalsByAlias(ctx context.Context, sc *scope, typ,
	value string, f store.PrincipalFilter) ([]store.Principal, error) {
	aliases, err := s.st.ResolveAlias(ctx, typ, value)
	if err != nil {
		return nil, err
	}
	var out []store.Principal
	for _, a := range aliases {
		// An alias of a credential outside the scope finds no one.
		if ok, err := sc.alias(ctx, a); !ok || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		p, err := s.st.GetPrincipal(ctx, a.PrincipalID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !principalMatches(p, f) {
			continue
		}
		ok, err := s.atProviders(ctx, p.ID, f.Providers)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b store.Principal) int {
		return strings.Compare(a.ID, b.ID)
	})
	out = slices.CompactFunc(out, func(a, b store.Principal) bool {
		return a.ID == b.ID
	})
	return out[:min(len(out), f.Limit)], nil
}

// principalMatches applies f to one principal, but for its providers.
func principalMatches(p store.Principal, f store.PrincipalFilter) bool {
	r := f.Created
	return (f.Kind == "" || p.Kind == f.Kind) &&
		(len(f.Kinds) == 0 || slices.Contains(f.Kinds, p.Kind)) &&
		(f.Status == "" || p.Status == f.Status) && p.ID > f.AfterID &&
		(r.From.IsZero() || !p.CreatedAt.Before(r.From)) &&
		(r.To.IsZero() || p.CreatedAt.Before(r.To))
}

// atProviders reports whether a principal has a session or credential
// at one of providers; true when providers is empty.
func (s *Server) atProviders(ctx context.Context, id string,
	providers []string) (bool, error) {
	if len(providers) == 0 {
		return true, nil
	}
	ses, err := s.st.ListSessions(ctx, store.SessionFilter{PrincipalID: id,
		Providers: providers, Limit: 1})
	if err != nil || len(ses) > 0 {
		return len(ses) > 0, err
	}
	cs, err := s.st.ListCredentials(ctx, store.CredentialFilter{
		PrincipalID: id, Stores: providers, Limit: 1})
	return len(cs) > 0, err
}

// GetPrincipal returns one principal in the caller's scope.
func (s *Server) GetPrincipal(ctx context.Context,
	req GetPrincipalRequestObject) (GetPrincipalResponseObject, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.st.GetPrincipal(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	sc := newScope(s.st, c)
	ok, err := sc.visible(ctx, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, problem(ProblemCodeNotFound, "no such record")
	}
	out, err := s.principal(ctx, sc, p)
	return GetPrincipal200JSONResponse(out), err
}

// principal is p as the API shows it, with its aliases in sc: not
// those of a credential outside it.
func (s *Server) principal(ctx context.Context, sc *scope,
	p store.Principal) (Principal, error) {
	all, err := s.st.ListAliases(ctx, p.ID)
	if err != nil {
		return Principal{}, err
	}
	aliases := all[:0]
	for _, a := range all {
		ok, err := sc.alias(ctx, a)
		if err != nil {
			return Principal{}, err
		}
		if ok {
			aliases = append(aliases, a)
		}
	}
	out := Principal{ID: p.ID, Kind: PrincipalKind(p.Kind),
		DisplayName: p.DisplayName, Owner: p.Owner,
		Status: PrincipalStatus(p.Status), Labels: p.Labels,
		BreakGlass: p.BreakGlass, CreatedAt: p.CreatedAt,
		Aliases: make([]Alias, len(aliases))}
	for i, a := range aliases {
		out.Aliases[i] = Alias{Type: a.Type, Value: a.Value,
			CredentialID: a.CredentialID}
	}
	return out, nil
}

// callerOf is the request's caller. The guard puts one in every
// request's context; a handler reached without it refuses.
func callerOf(ctx context.Context) (Caller, error) {
	c, ok := CallerFrom(ctx)
	if !ok {
		return c, errors.New("api: request without a caller")
	}
	return c, nil
}

// enumList lists enum values for an error message.
func enumList[T ~string](vs ...T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
