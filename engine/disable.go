package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// principalDisabled is the registry status of a disabled principal.
const principalDisabled = "disabled"

// disablePrincipal disables a principal at every provider that issued it
// a session or a credential and has a connector, then in the registry.
// A provider that cannot disable (Unsupported) is noted, not retried.
func (x *Executor) disablePrincipal(ctx context.Context, a store.Action) (executed, error) {
	if a.TargetType != "principal" {
		return executed{}, permanent("disable_principal: target type %q is not principal", a.TargetType)
	}
	p, err := x.store.GetPrincipal(ctx, a.TargetID)
	if errors.Is(err, store.ErrNotFound) {
		return executed{}, permanent("principal %s does not exist", a.TargetID)
	}
	if err != nil {
		return executed{}, fmt.Errorf("read principal: %w", err)
	}
	if p.Status == principalDisabled {
		// Disabled by an earlier action, or so at its provider when the
		// registry last synced: a storm of alerts about one principal
		// reaches each provider once, not once per alert.
		return disabled(a, x, false, map[string]string{}), nil
	}
	calls, err := x.disableAtProviders(ctx, p)
	if err != nil {
		return executed{}, err
	}
	changed, err := x.store.SetPrincipalStatus(ctx, p.ID, principalDisabled)
	if err != nil {
		return executed{}, fmt.Errorf("disable principal: %w", err)
	}
	ev := RevocationEvent{Type: "principal", TargetID: p.ID, PrincipalID: p.ID}
	if err := x.publish(ctx, a, ev); err != nil {
		return executed{}, err
	}
	return disabled(a, x, changed, calls), nil
}

func disabled(a store.Action, x *Executor, changed bool,
	calls map[string]string) executed {
	return executed{
		result: map[string]any{"principal": a.TargetID, "changed": changed,
			"provider_calls": calls},
		audit: []store.AuditEntry{{Time: x.clock(), Actor: actor(a),
			Event: EventPrincipalDisabled, Subject: a.TargetID,
			Details: mustJSON(map[string]any{"reason": a.Reason,
				"action_id": a.ID, "already_disabled": !changed,
				"provider_calls": calls})}},
	}
}

// disableAtProviders asks each provider of the principal to disable it.
// It returns what each answered, or an error when one must be retried or
// failed for good; the registry is then left as it was.
func (x *Executor) disableAtProviders(ctx context.Context,
	p store.Principal) (map[string]string, error) {
	providers, err := x.providersOf(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	aliases, err := x.store.ListAliases(ctx, p.ID)
	if err != nil {
		return nil, fmt.Errorf("read aliases of %s: %w", p.ID, err)
	}
	calls := map[string]string{}
	var errs []error
	for _, name := range providers {
		c := x.conns.For(name)
		if c == nil {
			continue
		}
		res := x.revoke(ctx, c, connectors.Request{Op: connectors.OpDisablePrincipal,
			Principal: p, Aliases: aliases, RevokeTokens: true})
		calls[name] = res.String()
		if !res.Succeeded() && res.Outcome != connectors.Unsupported {
			errs = append(errs, connectorError(name, "principal "+p.ID, res))
		}
	}
	return calls, joinConnectorErrors(errs)
}

// providersOf lists, sorted, the providers that issued the principal a
// session or hold one of its credentials.
func (x *Executor) providersOf(ctx context.Context, principalID string) ([]string, error) {
	seen := map[string]bool{}
	sessions, err := x.store.ListSessions(ctx, store.SessionFilter{PrincipalID: principalID})
	if err != nil {
		return nil, fmt.Errorf("sessions of %s: %w", principalID, err)
	}
	for _, s := range sessions {
		seen[s.Provider] = true
	}
	creds, err := x.store.ListCredentials(ctx, store.CredentialFilter{PrincipalID: principalID})
	if err != nil {
		return nil, fmt.Errorf("credentials of %s: %w", principalID, err)
	}
	for _, c := range creds {
		seen[c.Store] = true
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}
