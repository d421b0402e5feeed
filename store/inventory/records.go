package inventory

import (
	"cmp"
	"fmt"

	"github.com/killswitch-dev/killswitch/store"
)

// credential checks cr and adds it with its aliases: those listed, and
// a secret_hash alias for its fingerprint.
func (c *checker) credential(at, principalID string, cr Credential) {
	c.required(at+".id", cr.ID)
	c.unique(at+".id", "credential", cr.ID)
	c.oneOf(at+".kind", "kind", cr.Kind, credentialKinds)
	c.required(at+".store", cr.Store)
	status := cmp.Or(cr.Status, store.StatusActive)
	c.oneOf(at+".status", "status", status, recordStatuses)
	c.b.credentials = append(c.b.credentials, store.Credential{ID: cr.ID,
		PrincipalID: principalID, Kind: cr.Kind, Store: cr.Store,
		ExternalID: cr.ExternalID, Fingerprint: cr.Fingerprint,
		CreatedAt:  c.time(at+".created_at", cr.CreatedAt, zero),
		RotatedAt:  c.time(at+".rotated_at", cr.RotatedAt, zero),
		LastUsedAt: c.time(at+".last_used_at", cr.LastUsedAt, zero),
		ExpiresAt:  c.time(at+".expires_at", cr.ExpiresAt, zero),
		Exposure:   c.exposure(at+".exposure", cr.Exposure),
		Status:     status})
	for i, a := range cr.Aliases {
		c.alias(fmt.Sprintf("%s.aliases[%d]", at, i), principalID, cr.ID, a)
	}
	if cr.Fingerprint != "" {
		c.alias(at+".fingerprint", principalID, cr.ID,
			Alias{Type: "secret_hash", Value: cr.Fingerprint})
	}
}

// exposure checks and converts a credential's exposure.
func (c *checker) exposure(at string, e *Exposure) *store.Exposure {
	if e == nil {
		return nil
	}
	c.required(at+".at", e.At)
	c.required(at+".source", e.Source)
	return &store.Exposure{At: c.time(at+".at", e.At, zero),
		Source: e.Source, Where: e.Where}
}

// session checks s and adds it.
func (c *checker) session(at, principalID string, s Session) {
	c.required(at+".id", s.ID)
	c.unique(at+".id", "session", s.ID)
	c.required(at+".provider", s.Provider)
	c.oneOf(at+".kind", "kind", s.Kind, sessionKinds)
	if s.Credential != "" && !c.creds[s.Credential] {
		c.fail(at+".credential", "no credential %q in this file",
			s.Credential)
	}
	status := cmp.Or(s.Status, store.StatusActive)
	c.oneOf(at+".status", "status", status, recordStatuses)
	c.b.sessions = append(c.b.sessions, store.Session{ID: s.ID,
		PrincipalID: principalID, Provider: s.Provider,
		ExternalID: s.ExternalID, Kind: s.Kind, Origin: s.Origin,
		CredentialID: s.Credential,
		CreatedAt:    c.time(at+".created_at", s.CreatedAt, zero),
		LastSeenAt:   c.time(at+".last_seen_at", s.LastSeenAt, zero),
		ExpiresAt:    c.time(at+".expires_at", s.ExpiresAt, zero),
		Status:       status})
}

// lock checks l and adds it.
func (c *checker) lock(at string, l Lock) {
	c.required(at+".id", l.ID)
	c.unique(at+".id", "lock", l.ID)
	c.oneOf(at+".target_type", "target type", l.TargetType, lockTargets)
	c.required(at+".target", l.Target)
	if l.TargetType == "origin" && l.Target != "" {
		if err := store.CheckOrigin(l.Target); err != nil {
			c.fail(at+".target", "%v", err)
		}
	}
	c.b.locks = append(c.b.locks, store.Lock{ID: l.ID,
		TargetType: l.TargetType, Target: l.Target, Reason: l.Reason,
		CreatedBy: l.CreatedBy,
		CreatedAt: c.time(at+".created_at", l.CreatedAt, c.now),
		ExpiresAt: c.time(at+".expires_at", l.ExpiresAt, zero)})
}
