package introspect

import (
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// Why an answer is inactive.
const (
	// ReasonUnknown: the registry holds no such session or credential.
	ReasonUnknown = "unknown"
	// ReasonRevoked: it was revoked; Revocation says when, by whom, why.
	ReasonRevoked = "revoked"
	// ReasonExpired: it expired, or its provider no longer has it.
	ReasonExpired = "expired"
	// ReasonCredentialRevoked: the session's credential was revoked.
	ReasonCredentialRevoked = "credential_revoked"
	// ReasonPrincipalDisabled: its principal is disabled.
	ReasonPrincipalDisabled = "principal_disabled"
)

// A lock in force on what it uses makes it inactive with the reason
// "<target type>_locked": principal_locked, credential_locked,
// device_locked, origin_locked.
const lockedSuffix = "_locked"

// Answer is the verdict on one session or credential.
type Answer struct {
	Active bool `json:"active"`
	// Reason says why it is not active; empty when it is.
	Reason       string `json:"reason,omitempty"`
	SessionID    string `json:"session_id,omitempty"`
	CredentialID string `json:"credential_id,omitempty"`
	PrincipalID  string `json:"principal_id,omitempty"`
	// Until is, for an active one, when it expires; for a locked one,
	// when the lock ends. Zero: no end is known (revoked is for good; a
	// lock without expiry holds until it is lifted).
	Until      time.Time         `json:"until,omitzero"`
	Revocation *store.Revocation `json:"revocation,omitempty"`
	Lock       *Lock             `json:"lock,omitempty"`
	// AsOf is when the registry state the answer comes from was current.
	AsOf time.Time `json:"as_of"`
}

// Lock is the lock that makes an answer inactive.
type Lock struct {
	ID         string    `json:"id"`
	TargetType string    `json:"target_type"`
	Target     string    `json:"target"`
	Reason     string    `json:"reason"`
	CreatedBy  string    `json:"created_by"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
}

// Session answers for the session with id killswitch gave it.
func (x *Index) Session(id string) (Answer, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.loaded {
		return Answer{}, ErrNotReady
	}
	return x.sessionAnswer(x.sessions[id], x.clock()), nil
}

// External answers for the session with that id at that provider.
func (x *Index) External(provider, externalID string) (Answer, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.loaded {
		return Answer{}, ErrNotReady
	}
	s := x.sessions[x.byExternal[external{provider, externalID}]]
	return x.sessionAnswer(s, x.clock()), nil
}

// Fingerprint answers for the credential whose secret has that SHA-256
// (hex, with or without "sha256:"). A malformed digest is unknown.
func (x *Index) Fingerprint(print string) (Answer, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.loaded {
		return Answer{}, ErrNotReady
	}
	id, ok := x.byPrint[normalPrint(print)]
	if !ok {
		return Answer{Reason: ReasonUnknown, AsOf: x.asOf}, nil
	}
	return x.credentialAnswer(x.credentials[id], x.clock()), nil
}

// sessionAnswer judges s at now; x.mu is held.
func (x *Index) sessionAnswer(s *session, now time.Time) Answer {
	if s == nil {
		return Answer{Reason: ReasonUnknown, AsOf: x.asOf}
	}
	a := Answer{SessionID: s.id, PrincipalID: s.principalID,
		CredentialID: s.credential, AsOf: x.asOf}
	c := x.credentials[s.credential]
	switch {
	case s.status == store.StatusRevoked:
		a.Reason, a.Revocation = ReasonRevoked, s.revocation
	case s.status != store.StatusActive || past(s.expires, now):
		a.Reason, a.Until = ReasonExpired, s.expires
	case c != nil && c.status == store.StatusRevoked:
		a.Reason, a.Revocation = ReasonCredentialRevoked, c.revocation
	case x.principals[s.principalID]:
		a.Reason = ReasonPrincipalDisabled
	default:
		l, locked := x.locks.covering(s.principalID, s.credential,
			s.device, s.ip, now)
		if locked {
			return lockedAnswer(a, l)
		}
		a.Active, a.Until = true, s.expires
		if c != nil && earlier(c.expires, a.Until) {
			a.Until = c.expires
		}
	}
	return a
}

// credentialAnswer judges c at now; x.mu is held.
func (x *Index) credentialAnswer(c *credential, now time.Time) Answer {
	a := Answer{CredentialID: c.id, PrincipalID: c.principalID,
		AsOf: x.asOf}
	switch {
	case c.status == store.StatusRevoked:
		a.Reason, a.Revocation = ReasonRevoked, c.revocation
	case c.status != store.StatusActive || past(c.expires, now):
		a.Reason, a.Until = ReasonExpired, c.expires
	case x.principals[c.principalID]:
		a.Reason = ReasonPrincipalDisabled
	default:
		l, locked := x.locks.covering(c.principalID, c.id, "", noIP, now)
		if locked {
			return lockedAnswer(a, l)
		}
		a.Active, a.Until = true, c.expires
	}
	return a
}

func lockedAnswer(a Answer, l store.Lock) Answer {
	a.Reason, a.Until = l.TargetType+lockedSuffix, l.ExpiresAt
	a.Lock = &Lock{ID: l.ID, TargetType: l.TargetType, Target: l.Target,
		Reason: l.Reason, CreatedBy: l.CreatedBy, ExpiresAt: l.ExpiresAt}
	return a
}

// past reports whether the expiry t, zero for never, is at or before now.
func past(t, now time.Time) bool { return !t.IsZero() && !t.After(now) }

// earlier reports whether the expiry t comes before u; zero is never.
func earlier(t, u time.Time) bool {
	return !t.IsZero() && (u.IsZero() || t.Before(u))
}
