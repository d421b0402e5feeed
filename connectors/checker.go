package connectors

import (
	"context"
	"errors"

	"github.com/killswitch-dev/killswitch/store"
)

// CredentialChecker asks a credential's issuer whether it still honours
// a credential of the registry, from what the registry keeps of it (its
// external id, its fingerprint, where it was exposed): never the secret,
// and without using the credential (a Validator needs the secret, which
// the registry never holds). The exposed-still-valid sweep calls it for
// each exposed credential not yet revoked, with a context bounded by the
// sweep's timeout; CheckCredential must not change anything at the
// provider.
type CredentialChecker interface {
	CheckCredential(ctx context.Context, c store.Credential) (Validity, error)
}

// ErrValidityUnknown is what a CredentialChecker returns when the issuer
// answered but cannot tell whether the credential still works.
var ErrValidityUnknown = errors.New("the issuer cannot tell whether the " +
	"credential still works")
