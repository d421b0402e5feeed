package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// AliasLister lists a principal's aliases; every store.Store is one.
type AliasLister interface {
	ListAliases(ctx context.Context, principalID string) ([]store.Alias, error)
}

// ByAlias returns g and dec with every principal of in that a protected
// or break-glass name names by one of its aliases (an e-mail, an IdP
// user id) added by its id, so that Plan holds its actions as it holds
// those of a principal named by id. Operators name principals as they
// know them; a name that misses must never leave one unprotected.
func (g Guardrails) ByAlias(ctx context.Context, al AliasLister,
	in rules.Input, dec rules.Decision) (Guardrails, rules.Decision, error) {
	if len(g.Protected) == 0 && len(dec.Guard.BreakGlass) == 0 {
		return g, dec, nil
	}
	var protected, breakGlass []string
	for _, p := range in.Principals {
		aliases, err := al.ListAliases(ctx, p.ID)
		if err != nil {
			return g, dec, fmt.Errorf("aliases of %s: %w", p.ID, err)
		}
		if aliasNamed(g.Protected, aliases) {
			protected = append(protected, p.ID)
		}
		if aliasNamed(dec.Guard.BreakGlass, aliases) {
			breakGlass = append(breakGlass, p.ID)
		}
	}
	g.Protected = slices.Concat(g.Protected, protected)
	dec.Guard.BreakGlass = slices.Concat(dec.Guard.BreakGlass, breakGlass)
	return g, dec, nil
}

// aliasNamed reports whether names holds the value of one of aliases.
func aliasNamed(names []string, aliases []store.Alias) bool {
	return slices.ContainsFunc(aliases, func(a store.Alias) bool {
		return namedIn(names, a.Value)
	})
}

// namedIn reports whether names holds id, whatever the case: a guard
// that matches too much holds an action, one that matches too little
// acts on a principal that must not be touched.
func namedIn(names []string, id string) bool {
	return slices.ContainsFunc(names, func(n string) bool {
		return strings.EqualFold(strings.TrimSpace(n), id)
	})
}

// PrincipalFinder finds principals by id or alias; every store.Store is
// one.
type PrincipalFinder interface {
	AliasLister
	GetPrincipal(ctx context.Context, id string) (store.Principal, error)
	FindAliases(ctx context.Context, value string) ([]store.Alias, error)
	ListPrincipals(ctx context.Context,
		f store.PrincipalFilter) ([]store.Principal, error)
}

// Unmatched returns the names of g.Protected that name no principal of
// the registry by id or alias, whatever the case, as Plan matches them:
// a typo there protects no one. Names that match exactly cost a lookup
// each; the rest are looked for through every principal.
func (g Guardrails) Unmatched(ctx context.Context,
	pf PrincipalFinder) ([]string, error) {
	var left []string
	for _, n := range g.Protected {
		ok, err := namesExactly(ctx, pf, strings.TrimSpace(n))
		if err != nil {
			return nil, err
		}
		if !ok {
			left = append(left, n)
		}
	}
	if len(left) == 0 {
		return nil, nil
	}
	return unmatchedByScan(ctx, pf, left)
}

// namesExactly reports whether name is a principal's id or an alias
// value, case and all.
func namesExactly(ctx context.Context, pf PrincipalFinder,
	name string) (bool, error) {
	_, err := pf.GetPrincipal(ctx, name)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("principal %q: %w", name, err)
	}
	as, err := pf.FindAliases(ctx, name)
	if err != nil {
		return false, fmt.Errorf("aliases %q: %w", name, err)
	}
	return len(as) > 0, nil
}

// unmatchedByScan returns the names of left that no principal's id or
// alias matches whatever the case, reading the registry page by page.
func unmatchedByScan(ctx context.Context, pf PrincipalFinder,
	left []string) ([]string, error) {
	f := store.PrincipalFilter{Limit: 500}
	for len(left) > 0 {
		ps, err := pf.ListPrincipals(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list principals: %w", err)
		}
		for _, p := range ps {
			if left, err = dropNamed(ctx, pf, left, p.ID); err != nil {
				return nil, err
			}
		}
		if len(ps) < f.Limit {
			break
		}
		f.AfterID = ps[len(ps)-1].ID
	}
	return left, nil
}

// dropNamed returns left without the names that name principal id by
// its id or one of its aliases.
func dropNamed(ctx context.Context, al AliasLister, left []string,
	id string) ([]string, error) {
	aliases, err := al.ListAliases(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("aliases of %s: %w", id, err)
	}
	return slices.DeleteFunc(left, func(n string) bool {
		one := []string{n}
		return namedIn(one, id) || aliasNamed(one, aliases)
	}), nil
}
