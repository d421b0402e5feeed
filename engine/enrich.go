package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// Registry is the part of the store that resolution and enrichment read.
type Registry interface {
	ResolveAlias(ctx context.Context, typ, value string) ([]store.Alias, error)
	GetPrincipal(ctx context.Context, id string) (store.Principal, error)
	GetSession(ctx context.Context, id string) (store.Session, error)
	ListSessions(ctx context.Context, f store.SessionFilter) ([]store.Session, error)
	ListCredentials(ctx context.Context, f store.CredentialFilter) ([]store.Credential, error)
	ListLocks(ctx context.Context, now time.Time) ([]store.Lock, error)
	// ListAliases finds the principals a guardrail names by alias.
	ListAliases(ctx context.Context, principalID string) ([]store.Alias, error)
}

// resolution is what a signal's subjects named in the registry.
type resolution struct {
	principals  map[string][]signals.Subject // principal id -> subjects
	credentials map[string][]signals.Subject // credential id -> subjects
	sessions    map[string]store.Session     // sessions named directly
	unresolved  []signals.Subject
}

// Enrich builds the policy input for a signal: the principals its subjects
// resolve to, their live sessions and credentials with derived ages, the
// locks in force, and now. A signal dated after now is shown dated now
// (see datedByReceipt); callers take in.Signal as the signal.
func Enrich(ctx context.Context, reg Registry, sig signals.Signal,
	now time.Time) (rules.Input, error) {
	sig = datedByReceipt(sig, now)
	res, err := resolve(ctx, reg, sig)
	if err != nil {
		return rules.Input{}, err
	}
	return enrichResolved(ctx, reg, sig, res, now)
}

// enrichResolved is Enrich for a signal dated by receipt and resolved
// already.
func enrichResolved(ctx context.Context, reg Registry, sig signals.Signal,
	res resolution, now time.Time) (rules.Input, error) {
	in := rules.Input{Signal: sig, Now: now,
		Unresolved: nonNil(res.unresolved)}
	if err := addPrincipals(ctx, reg, res, &in, now); err != nil {
		return rules.Input{}, err
	}
	locks, err := reg.ListLocks(ctx, now)
	if err != nil {
		return rules.Input{}, fmt.Errorf("list locks: %w", err)
	}
	in.Locks = nonNil(locks)
	return in, nil
}

// AttrTimeClaimed is the attribute that keeps the time a signal claimed
// when it was later than the time it was received (see datedByReceipt),
// RFC 3339.
const AttrTimeClaimed = "time_claimed"

// datedByReceipt dates a signal that claims a time after now at now, and
// keeps the claim in AttrTimeClaimed. Nothing is reported before it
// happens; a scanner's clock or a forged payload dated 9999 began an
// exposure in 9999, so that its days since exposure stayed 0 and no
// sweep would ever act on it, and showed policies a time to come.
func datedByReceipt(sig signals.Signal, now time.Time) signals.Signal {
	if !sig.Time.After(now) {
		return sig
	}
	attrs := maps.Clone(sig.Attributes)
	if attrs == nil {
		attrs = map[string]any{}
	}
	attrs[AttrTimeClaimed] = sig.Time.Format(time.RFC3339Nano)
	sig.Attributes, sig.Time = attrs, now
	return sig
}

func resolve(ctx context.Context, reg Registry, sig signals.Signal) (resolution, error) {
	res := resolution{principals: map[string][]signals.Subject{},
		credentials: map[string][]signals.Subject{},
		sessions:    map[string]store.Session{}}
	for _, sub := range sig.Subjects {
		found, err := resolveSubject(ctx, reg, sub, &res)
		if err != nil {
			return res, fmt.Errorf("resolve %s %q: %w", sub.Type, sub.Value, err)
		}
		if !found {
			res.unresolved = append(res.unresolved, sub)
		}
	}
	return res, nil
}

func resolveSubject(ctx context.Context, reg Registry, sub signals.Subject,
	res *resolution) (bool, error) {
	if sub.Type == signals.SubjectSessionID {
		return resolveSession(ctx, reg, sub, res)
	}
	aliases, err := reg.ResolveAlias(ctx, string(sub.Type), sub.Value)
	if err != nil {
		return false, err
	}
	for _, a := range aliases {
		res.principals[a.PrincipalID] = append(res.principals[a.PrincipalID], sub)
		if a.CredentialID != "" {
			res.credentials[a.CredentialID] = append(res.credentials[a.CredentialID], sub)
		}
	}
	return len(aliases) > 0, nil
}

// resolveSession finds a session by the provider's id or, failing that,
// by the registry's own id.
func resolveSession(ctx context.Context, reg Registry, sub signals.Subject,
	res *resolution) (bool, error) {
	found, err := reg.ListSessions(ctx, store.SessionFilter{ExternalID: sub.Value})
	if err != nil {
		return false, err
	}
	if len(found) == 0 {
		s, err := reg.GetSession(ctx, sub.Value)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		found = append(found, s)
	}
	for _, s := range found {
		res.sessions[s.ID] = s
		res.principals[s.PrincipalID] = append(res.principals[s.PrincipalID], sub)
	}
	return true, nil
}

func addPrincipals(ctx context.Context, reg Registry, res resolution,
	in *rules.Input, now time.Time) error {
	in.Principals = []rules.Principal{}
	in.Sessions = []store.Session{}
	in.Credentials = []rules.Credential{}
	for _, id := range sortedKeys(res.principals) {
		p, err := reg.GetPrincipal(ctx, id)
		if err != nil {
			return fmt.Errorf("principal %s: %w", id, err)
		}
		in.Principals = append(in.Principals,
			rules.Principal{Principal: p, MatchedBy: res.principals[id]})
		if err := addLive(ctx, reg, id, res, in, now); err != nil {
			return err
		}
	}
	return nil
}

// addLive adds a principal's live sessions (and any of its sessions the
// signal named, whatever their status) and its credentials.
func addLive(ctx context.Context, reg Registry, principalID string,
	res resolution, in *rules.Input, now time.Time) error {
	live, err := reg.ListSessions(ctx, store.SessionFilter{
		PrincipalID: principalID, Status: store.StatusActive})
	if err != nil {
		return fmt.Errorf("sessions of %s: %w", principalID, err)
	}
	seen := map[string]bool{}
	for _, s := range live {
		seen[s.ID] = true
		in.Sessions = append(in.Sessions, s)
	}
	for _, id := range sortedKeys(res.sessions) {
		if s := res.sessions[id]; s.PrincipalID == principalID && !seen[id] {
			in.Sessions = append(in.Sessions, s)
		}
	}
	creds, err := reg.ListCredentials(ctx, store.CredentialFilter{PrincipalID: principalID})
	if err != nil {
		return fmt.Errorf("credentials of %s: %w", principalID, err)
	}
	for _, c := range creds {
		in.Credentials = append(in.Credentials, withAges(c, res, in.Signal, now))
	}
	return nil
}

// withAges derives the ages a policy compares against. A credential the
// signal reports as exposed counts as exposed now, even before the
// exposure is recorded.
func withAges(c store.Credential, res resolution, sig signals.Signal,
	now time.Time) rules.Credential {
	rc := rules.Credential{Credential: c, MatchedBy: res.credentials[c.ID],
		AgeDays: days(now.Sub(c.CreatedAt)), DaysSinceExposure: -1}
	exposedAt := time.Time{}
	if c.Exposure != nil {
		exposedAt = c.Exposure.At
	}
	if len(rc.MatchedBy) > 0 && sig.Category == signals.CategorySecretExposure &&
		(exposedAt.IsZero() || sig.Time.Before(exposedAt)) {
		exposedAt = sig.Time
	}
	if !exposedAt.IsZero() {
		rc.DaysSinceExposure = days(now.Sub(exposedAt))
	}
	return rc
}

// days is whole days, rounded down, never negative.
func days(d time.Duration) int {
	if d < 0 {
		return 0
	}
	return int(d / (24 * time.Hour))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
