package inventorysync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// applier writes one principal's listing at one provider to the
// registry.
type applier struct {
	store    store.Store
	provider string
	p        store.Principal
	now      time.Time
	report   *Report
	log      *slog.Logger
}

func (a applier) apply(ctx context.Context, l connectors.Listing,
	known []store.Alias) error {
	if err := a.aliases(ctx, l.Aliases, known); err != nil {
		return err
	}
	if l.SessionsListed || len(l.Sessions) > 0 {
		if err := a.sessions(ctx, l.Sessions, l.SessionsListed); err != nil {
			return err
		}
	}
	if l.CredentialsListed || len(l.Credentials) > 0 {
		return a.credentials(ctx, l.Credentials, l.CredentialsListed)
	}
	return nil
}

// aliases attaches the provider's identifiers the principal lacks.
func (a applier) aliases(ctx context.Context, found, known []store.Alias) error {
	for _, al := range found {
		al.PrincipalID = a.p.ID
		if hasAlias(known, al) {
			continue
		}
		if err := a.store.PutAlias(ctx, al); err != nil {
			return fmt.Errorf("attach alias %s: %w", al.Type, err)
		}
		a.report.Aliases++
	}
	return nil
}

func hasAlias(known []store.Alias, al store.Alias) bool {
	for _, k := range known {
		if k.Type == al.Type && k.Value == al.Value &&
			k.CredentialID == al.CredentialID {
			return true
		}
	}
	return false
}

// sessions adds and refreshes the listed sessions and, when the listing
// is complete, ends the active ones it lacks.
func (a applier) sessions(ctx context.Context, listed []store.Session,
	complete bool) error {
	have, err := a.store.ListSessions(ctx, store.SessionFilter{
		PrincipalID: a.p.ID, Provider: a.provider})
	if err != nil {
		return fmt.Errorf("read sessions: %w", err)
	}
	byExt := make(map[string]store.Session, len(have))
	for _, s := range have {
		byExt[s.ExternalID] = s
	}
	seen := map[string]bool{}
	for _, s := range listed {
		seen[s.ExternalID] = true
		if err := a.putSession(ctx, s, byExt); err != nil {
			return err
		}
	}
	if !complete {
		return nil
	}
	return a.endSessions(ctx, have, seen)
}

// putSession writes one listed session over what the registry has.
func (a applier) putSession(ctx context.Context, s store.Session,
	byExt map[string]store.Session) error {
	old, ok := byExt[s.ExternalID]
	switch {
	case ok && old.Status == store.StatusRevoked:
		a.report.StillListed++
		return nil
	case ok:
		s.ID, s.CredentialID = old.ID, orElse(s.CredentialID, old.CredentialID)
		a.report.Refreshed++
	default:
		s.ID = recordID(a.provider, a.p.ID, s.ExternalID)
		a.report.Added++
	}
	s.PrincipalID, s.Provider = a.p.ID, a.provider
	s.Status, s.Revocation = store.StatusActive, nil
	err := a.store.PutSession(ctx, s)
	if errors.Is(err, store.ErrLocked) {
		return a.refused(ok, err)
	}
	if err != nil {
		return fmt.Errorf("put session %s: %w", s.ExternalID, err)
	}
	return nil
}

// refused counts a listed session or credential a lock kept out of the
// registry, instead of as added or refreshed, and says so: the sync goes
// on with the rest.
func (a applier) refused(known bool, err error) error {
	if known {
		a.report.Refreshed--
	} else {
		a.report.Added--
	}
	a.report.Locked++
	a.log.Warn("provider lists what a lock refuses", "provider",
		a.provider, "principal_id", a.p.ID, "err", err)
	return nil
}

// endSessions marks the active sessions the provider no longer lists as
// expired, saying so.
func (a applier) endSessions(ctx context.Context, have []store.Session,
	seen map[string]bool) error {
	for _, s := range have {
		if s.Status != store.StatusActive || seen[s.ExternalID] {
			continue
		}
		s.Status, s.Revocation = store.StatusExpired, a.ended()
		if err := a.store.PutSession(ctx, s); err != nil {
			return fmt.Errorf("end session %s: %w", s.ID, err)
		}
		a.report.Ended++
	}
	return nil
}

// ended is the record of something the provider no longer lists.
func (a applier) ended() *store.Revocation {
	return &store.Revocation{At: a.now, By: "sync:" + a.provider,
		Reason: "no longer listed by " + a.provider}
}

// credentials adds and refreshes the listed credentials and, when the
// listing is complete, ends the active ones it lacks.
func (a applier) credentials(ctx context.Context, listed []store.Credential,
	complete bool) error {
	have, err := a.storeCredentials(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range listed {
		seen[c.ExternalID] = true
		if err := a.putCredential(ctx, c, have); err != nil {
			return err
		}
	}
	if !complete {
		return nil
	}
	return a.endCredentials(ctx, have, seen)
}

// storeCredentials are the principal's credentials at this provider, by
// external id.
func (a applier) storeCredentials(ctx context.Context) (map[string]store.Credential, error) {
	all, err := a.store.ListCredentials(ctx,
		store.CredentialFilter{PrincipalID: a.p.ID})
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	have := map[string]store.Credential{}
	for _, c := range all {
		if c.Store == a.provider {
			have[c.ExternalID] = c
		}
	}
	return have, nil
}

// putCredential writes one listed credential over what the registry
// has, keeping what the provider does not know (its exposure, its
// fingerprint when the listing has none).
func (a applier) putCredential(ctx context.Context, c store.Credential,
	have map[string]store.Credential) error {
	old, ok := have[c.ExternalID]
	switch {
	case ok && old.Status == store.StatusRevoked:
		a.report.StillListed++
		return nil
	case ok:
		c.ID, c.Exposure = old.ID, old.Exposure
		c.Fingerprint = orElse(c.Fingerprint, old.Fingerprint)
		a.report.Refreshed++
	default:
		c.ID = recordID(a.provider, a.p.ID, c.ExternalID)
		a.report.Added++
	}
	c.PrincipalID, c.Store = a.p.ID, a.provider
	c.Status, c.Revocation = store.StatusActive, nil
	err := a.store.PutCredential(ctx, c)
	if errors.Is(err, store.ErrLocked) {
		return a.refused(ok, err)
	}
	if err != nil {
		return fmt.Errorf("put credential %s: %w", c.ExternalID, err)
	}
	return nil
}

// endCredentials marks the active credentials the provider no longer
// lists as expired, saying so.
func (a applier) endCredentials(ctx context.Context,
	have map[string]store.Credential, seen map[string]bool) error {
	for ext, c := range have {
		if c.Status != store.StatusActive || seen[ext] {
			continue
		}
		c.Status, c.Revocation = store.StatusExpired, a.ended()
		if err := a.store.PutCredential(ctx, c); err != nil {
			return fmt.Errorf("end credential %s: %w", c.ID, err)
		}
		a.report.Ended++
	}
	return nil
}

// recordID is the registry id of what a provider lists: stable, so that
// two syncs at once write the same record.
func recordID(provider, principalID, externalID string) string {
	h := sha256.Sum256([]byte(principalID + "\x00" + externalID))
	return provider + "-" + hex.EncodeToString(h[:8])
}

func orElse(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}
