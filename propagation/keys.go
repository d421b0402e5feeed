package propagation

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/killswitch-dev/killswitch/store"
)

// Keys manages the keys that sign Security Event Tokens, kept in the
// store so that every instance signs with the same active key and
// publishes the same set. The private halves never leave this file but
// as signatures.
type Keys struct {
	store store.Propagation
	alg   string
	grace time.Duration
	clock func() time.Time
}

// NewKeys manages keys of algorithm alg (ES256 or RS256) in st. A retired
// key stays published for grace after it was retired.
func NewKeys(st store.Propagation, alg string, grace time.Duration,
	clock func() time.Time) *Keys {
	return &Keys{store: st, alg: alg, grace: grace, clock: clock}
}

// signer is a key ready to sign: its id, algorithm and private key.
type signer struct {
	kid string
	alg jwa.SignatureAlgorithm
	key jwk.Key
}

// Rotate makes a new key the active one; the previous one stays
// published for the grace period. It returns the new key's id.
func (k *Keys) Rotate(ctx context.Context) (string, error) {
	priv, err := generate(k.alg)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("encode new signing key: %w", err)
	}
	kid, err := keyID(priv)
	if err != nil {
		return "", err
	}
	err = k.store.RotateSigningKey(ctx, store.SigningKey{ID: kid,
		Algorithm: k.alg, Private: store.Secret(der), CreatedAt: k.clock()})
	if err != nil {
		return "", err
	}
	return kid, nil
}

// generate makes a private key for alg.
func generate(alg string) (crypto.Signer, error) {
	switch alg {
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RS256":
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("signing algorithm %q: want ES256 or RS256", alg)
}

// keyID is the RFC 7638 thumbprint of the public key, so that the same
// key always has the same id.
func keyID(priv crypto.Signer) (string, error) {
	pub, err := jwk.Import(priv.Public())
	if err != nil {
		return "", fmt.Errorf("import public key: %w", err)
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("thumbprint public key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// active returns the key to sign with, creating the first one when the
// store holds none.
func (k *Keys) active(ctx context.Context) (signer, error) {
	keys, err := k.store.ListSigningKeys(ctx)
	if err != nil {
		return signer{}, err
	}
	for _, sk := range keys {
		if sk.RetiredAt.IsZero() {
			return parse(sk)
		}
	}
	if _, err := k.Rotate(ctx); err != nil {
		return signer{}, fmt.Errorf("create the first signing key: %w", err)
	}
	return k.active(ctx)
}

// parse turns a stored key into a signer.
func parse(sk store.SigningKey) (signer, error) {
	priv, err := x509.ParsePKCS8PrivateKey([]byte(sk.Private.Reveal()))
	if err != nil {
		return signer{}, fmt.Errorf("signing key %s: stored key does not "+
			"parse as PKCS #8", sk.ID)
	}
	key, err := jwk.Import(priv)
	if err != nil {
		return signer{}, fmt.Errorf("signing key %s: %w", sk.ID, err)
	}
	alg, ok := jwa.LookupSignatureAlgorithm(sk.Algorithm)
	if !ok {
		return signer{}, fmt.Errorf("signing key %s: unknown alg %q",
			sk.ID, sk.Algorithm)
	}
	if err := key.Set(jwk.KeyIDKey, sk.ID); err != nil {
		return signer{}, err
	}
	return signer{kid: sk.ID, alg: alg, key: key}, nil
}

// JWKS returns the public keys receivers verify with: the active key and
// those retired less than the grace period ago.
func (k *Keys) JWKS(ctx context.Context) (jwk.Set, error) {
	if _, err := k.active(ctx); err != nil { // the first key, on demand
		return nil, err
	}
	keys, err := k.store.ListSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	now := k.clock()
	for _, sk := range keys {
		if !sk.RetiredAt.IsZero() && now.Sub(sk.RetiredAt) > k.grace {
			continue
		}
		pub, err := publicJWK(sk)
		if err != nil {
			return nil, err
		}
		if err := set.AddKey(pub); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// publicJWK is the public half of a stored key, with its kid, alg and
// use.
func publicJWK(sk store.SigningKey) (jwk.Key, error) {
	s, err := parse(sk)
	if err != nil {
		return nil, err
	}
	pub, err := jwk.PublicKeyOf(s.key)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: public key: %w", sk.ID, err)
	}
	for name, v := range map[string]any{jwk.KeyIDKey: sk.ID,
		jwk.AlgorithmKey: s.alg, jwk.KeyUsageKey: "sig"} {
		if err := pub.Set(name, v); err != nil {
			return nil, err
		}
	}
	return pub, nil
}

// Prune deletes keys retired longer ago than the grace period.
func (k *Keys) Prune(ctx context.Context) (int, error) {
	return k.store.PruneSigningKeys(ctx, k.clock().Add(-k.grace))
}
