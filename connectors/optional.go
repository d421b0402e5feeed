package connectors

import (
	"context"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// The optional interfaces below are what a connector offers beyond
// Revoke, where its provider lets it. The engine and the inventory sync
// find them with a type assertion on the Connector.

// Lister lists what a provider holds for one principal: its sessions,
// tokens and credentials, with when each was created, last used and
// expires. The inventory sync calls List for every principal of the
// registry, with a context bounded by the sync's deadline; an error
// skips this principal for this provider until the next sync and
// changes nothing in the registry.
type Lister interface {
	List(ctx context.Context, p store.Principal,
		aliases []store.Alias) (Listing, error)
}

// Listing is what a Lister found for one principal.
//
// Sessions carry the provider's ExternalID and the principal's id; the
// sync gives them registry ids. SessionsListed says the provider was
// asked for this principal's sessions and answered: only then does the
// sync mark registry sessions of this provider that are not in Sessions
// as ended. CredentialsListed does the same for Credentials. Both are
// false when the provider does not know the principal at all.
type Listing struct {
	Sessions          []store.Session
	SessionsListed    bool
	Credentials       []store.Credential
	CredentialsListed bool
	// Aliases are identifiers the provider knows the principal by (its
	// own user id), for the sync to attach to the principal.
	Aliases []store.Alias
}

// Check is the state a verification found.
type Check string

// The verification states.
const (
	// Confirmed: the provider shows the session or credential is no
	// longer honoured.
	Confirmed Check = "confirmed"
	// Requested: the provider accepted the revocation but it cannot be
	// observed yet (it takes effect eventually, or at expiry, or the
	// provider offers no way to look).
	Requested Check = "requested"
	// Failed: the provider still honours what was revoked.
	Failed Check = "failed"
)

// Verification is what a Verifier found, with the evidence: what was
// asked and what the provider answered, never a secret.
type Verification struct {
	Check    Check
	Evidence string
	At       time.Time
}

// Verifier confirms that a revocation took effect. The executor calls
// Verify right after Revoke succeeded for the same Request, with the
// same context. Verify must not change anything at the provider. A
// Failed result makes the executor try the action again; an error while
// looking is Requested, with the error as evidence.
type Verifier interface {
	Verify(ctx context.Context, req Request) Verification
}

// Validator checks whether a credential is still valid without using it
// to do anything (RFC 7662 introspection, a token lookup). secret is the
// credential itself, held only for the call; Validate must keep it out
// of errors and logs.
type Validator interface {
	Validate(ctx context.Context, secret string) (Validity, error)
}

// Validity is what a Validator found about a credential.
type Validity struct {
	Active bool
	// ExpiresAt is when the credential lapses, zero when unknown.
	ExpiresAt time.Time
	// Subject names whom the credential belongs to, when the provider
	// says.
	Subject string
}
