// Package inventorysync keeps the registry's sessions and credentials in
// step with the providers that issued them. For every principal it asks
// each connector that can list (a connectors.Lister) what the provider
// holds, adds what the registry lacks, refreshes what it has, marks what
// the provider no longer lists as ended, and attaches the provider's own
// identifiers of the principal as aliases.
package inventorysync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// EventSynced is the audit event of one provider's sync.
const EventSynced = "inventory.synced"

// Syncer syncs the registry with the connectors that can list.
type Syncer struct {
	store   store.Store
	listers map[string]connectors.Lister
	clock   func() time.Time
	log     *slog.Logger
}

// New builds a Syncer over the connectors of conns that are Listers.
func New(st store.Store, conns connectors.Set, clock func() time.Time,
	log *slog.Logger) *Syncer {
	listers := map[string]connectors.Lister{}
	for name, c := range conns {
		if l, ok := c.(connectors.Lister); ok {
			listers[name] = l
		}
	}
	return &Syncer{store: st, listers: listers, clock: clock,
		log: log.With("component", "inventorysync")}
}

// Providers names the connectors that can list, in sync order.
func (s *Syncer) Providers() []string {
	names := make([]string, 0, len(s.listers))
	for n := range s.listers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Sync syncs every principal with one provider, or with every provider
// that can list when provider is "". A provider's failure for one
// principal is in the report and leaves that principal as it was; the
// error is for a provider that cannot list or a registry that fails.
func (s *Syncer) Sync(ctx context.Context, provider string) ([]Report, error) {
	names := s.Providers()
	if provider != "" {
		if _, ok := s.listers[provider]; !ok {
			return nil, fmt.Errorf("sync %s: no configured connector of "+
				"that name can list (those that can: %v)", provider, names)
		}
		names = []string{provider}
	}
	var reports []Report
	for _, n := range names {
		r, err := s.syncProvider(ctx, n)
		if err != nil {
			return reports, err
		}
		reports = append(reports, r)
	}
	return reports, nil
}

// Every syncs every provider now and then every interval until ctx is
// done. A failed round is logged and the next one goes ahead.
func (s *Syncer) Every(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Sync(ctx, ""); err != nil && ctx.Err() == nil {
			s.log.Error("inventory sync", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// syncProvider syncs every principal with one provider and audits the
// outcome.
func (s *Syncer) syncProvider(ctx context.Context, provider string) (Report, error) {
	r := Report{Provider: provider, Started: s.clock()}
	ps, err := s.store.ListPrincipals(ctx, store.PrincipalFilter{})
	if err != nil {
		return r, fmt.Errorf("sync %s: list principals: %w", provider, err)
	}
	for _, p := range ps {
		err := s.syncPrincipal(ctx, provider, p, &r)
		if err != nil && !errors.Is(err, errProvider) {
			return r, fmt.Errorf("sync %s: principal %s: %w", provider, p.ID, err)
		}
		if ctx.Err() != nil {
			return r, fmt.Errorf("sync %s: %w", provider, ctx.Err())
		}
	}
	r.Finished = s.clock()
	s.logReport(r)
	return r, s.store.AppendAudit(ctx, r.auditEntry())
}

// errProvider marks a provider's failure for one principal, which the
// sync reports and goes on from.
var errProvider = errors.New("provider failed")

// syncPrincipal lists one principal at one provider and applies the
// listing to the registry.
func (s *Syncer) syncPrincipal(ctx context.Context, provider string,
	p store.Principal, r *Report) error {
	aliases, err := s.store.ListAliases(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("read aliases: %w", err)
	}
	l, err := s.listers[provider].List(ctx, p, aliases)
	if err != nil {
		r.Failures = append(r.Failures, Failure{PrincipalID: p.ID,
			Err: err.Error()})
		s.log.Warn("list at provider", "provider", provider,
			"principal_id", p.ID, "err", err)
		return errProvider
	}
	if l.SessionsListed || l.CredentialsListed {
		r.Principals++
	}
	a := applier{store: s.store, provider: provider, p: p,
		now: s.clock(), report: r, log: s.log}
	return a.apply(ctx, l, aliases)
}

func (s *Syncer) logReport(r Report) {
	s.log.Info("inventory synced", "provider", r.Provider,
		"principals", r.Principals, "added", r.Added,
		"refreshed", r.Refreshed, "ended", r.Ended,
		"aliases", r.Aliases, "failures", len(r.Failures))
	if r.StillListed > 0 {
		s.log.Warn("revoked in the registry but still listed by the provider",
			"provider", r.Provider, "count", r.StillListed)
	}
}
