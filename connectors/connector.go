// Package connectors defines how killswitch asks an identity provider or a
// secret store to stop honouring a session, a credential or a principal.
// Each provider lives in its own subpackage; wiring.go lists them all.
package connectors

import (
	"context"
	"fmt"

	"github.com/killswitch-dev/killswitch/store"
)

// Op is the change a connector is asked to make.
type Op string

// The operations a connector may support.
const (
	OpRevokeSession    Op = "revoke_session"
	OpRevokeCredential Op = "revoke_credential"
	OpDisablePrincipal Op = "disable_principal"
)

// Request is one change for one connector. Principal is always set;
// Session is set for OpRevokeSession and Credential for OpRevokeCredential.
// Aliases are the principal's identifiers, for connectors that address it
// by their own id (an Okta user id, an Entra object id).
type Request struct {
	Op         Op
	Principal  store.Principal
	Aliases    []store.Alias
	Session    *store.Session
	Credential *store.Credential
	// RevokeTokens asks the provider to revoke OAuth access and refresh
	// tokens along with the session, where it can.
	RevokeTokens bool
}

// Outcome classifies a connector's answer. The executor branches on it.
type Outcome string

// The outcomes.
const (
	// Done: the provider made the change.
	Done Outcome = "done"
	// AlreadyDone: it was already revoked, disabled or gone (404 on a
	// revoke); counts as success.
	AlreadyDone Outcome = "already_done"
	// Retryable: try again later (throttled, 5xx, network); the action
	// stays in the outbox.
	Retryable Outcome = "retryable"
	// Permanent: the provider refused for good; the action fails.
	Permanent Outcome = "permanent"
	// Unsupported: the provider cannot do this for this principal.
	Unsupported Outcome = "unsupported"
)

// Result is a connector's answer. Err is set for Retryable and Permanent;
// it must never contain a secret. VendorCode and RequestID are the
// provider's own, for the audit trail.
type Result struct {
	Outcome    Outcome
	Err        error
	VendorCode string
	RequestID  string
}

// Succeeded reports whether the change is in effect at the provider.
func (r Result) Succeeded() bool {
	return r.Outcome == Done || r.Outcome == AlreadyDone
}

func (r Result) String() string {
	if r.Err == nil {
		return string(r.Outcome)
	}
	return fmt.Sprintf("%s: %v", r.Outcome, r.Err)
}

// Connector revokes at one provider.
//
// The engine calls Revoke from its executor, after the action is safely in
// the outbox, with a context that carries the action's deadline; Revoke
// must return when it is done. The same Request may be sent again after a
// crash or a Retryable result, so Revoke must be idempotent: a session or
// credential that is already gone is AlreadyDone, not an error.
type Connector interface {
	// Provider is the name that sessions (Session.Provider) and
	// credentials (Credential.Store) of this provider carry.
	Provider() string
	// Revoke makes the change and classifies the answer.
	Revoke(ctx context.Context, req Request) Result
}

// Set finds the connector for a provider name.
type Set map[string]Connector

// NewSet indexes connectors by provider; a second connector for the same
// provider is an error.
func NewSet(cs ...Connector) (Set, error) {
	s := make(Set, len(cs))
	for _, c := range cs {
		if _, dup := s[c.Provider()]; dup {
			return nil, fmt.Errorf("connectors: two connectors for provider %q",
				c.Provider())
		}
		s[c.Provider()] = c
	}
	return s, nil
}

// For returns the connector for provider, or nil when none is configured:
// the revocation then takes effect in the registry only.
func (s Set) For(provider string) Connector {
	return s[provider]
}
