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

// Allow decides whether a caller may learn about a session or a
// credential of a principal of that kind at that provider (a
// credential's store). A refused one is answered as unknown.
type Allow func(kind store.PrincipalKind, provider string) bool

// Session answers for the session with id killswitch gave it.
func (x *Index) Session(id string) (Answer, error) {
	return x.Answer(Request{SessionID: id}, nil)
}

// External answers for the session with that id at that provider.
func (x *Index) External(provider, externalID string) (Answer, error) {
	return x.Answer(Request{Provider: provider, ExternalID: externalID}, nil)
}

// Fingerprint answers for the credential whose secret has that SHA-256
// (hex, with or without "sha256:"). A malformed digest is unknown.
func (x *Index) Fingerprint(print string) (Answer, error) {
	return x.Answer(Request{TokenFingerprint: print}, nil)
}

// Answer answers r, within what allow lets the caller learn (nil:
// everything). r names one target; see Request.Validate.
func (x *Index) Answer(r Request, allow Allow) (Answer, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.loaded {
		return Answer{}, ErrNotReady
	}
	now := x.clock()
	switch {
	case r.SessionID != "":
		return x.sessionAnswer(x.sessions[r.SessionID], allow, now), nil
	case r.TokenFingerprint != "":
		c := x.credentials[x.byPrint[normalPrint(r.TokenFingerprint)]]
		return x.credentialAnswer(c, allow, now), nil
	}
	s := x.sessions[x.byExternal[external{r.Provider, r.ExternalID}]]
	return x.sessionAnswer(s, allow, now), nil
}

// sessionAnswer judges s at now; x.mu is held.
func (x *Index) sessionAnswer(s *session, allow Allow, now time.Time) Answer {
	if s == nil || (allow != nil &&
		!allow(x.principals[s.principalID].kind, s.provider)) {
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
	case x.principals[s.principalID].disabled:
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
func (x *Index) credentialAnswer(c *credential, allow Allow,
	now time.Time) Answer {
	if c == nil || (allow != nil &&
		!allow(x.principals[c.principalID].kind, c.store)) {
		return Answer{Reason: ReasonUnknown, AsOf: x.asOf}
	}
	a := Answer{CredentialID: c.id, PrincipalID: c.principalID,
		AsOf: x.asOf}
	switch {
	case c.status == store.StatusRevoked:
		a.Reason, a.Revocation = ReasonRevoked, c.revocation
	case c.status != store.StatusActive || past(c.expires, now):
		a.Reason, a.Until = ReasonExpired, c.expires
	case x.principals[c.principalID].disabled:
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
