package engine

import (
	"context"
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
