package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/killswitch-dev/killswitch/store"
)

// SecretPrefix starts every API token secret, so that secret scanners
// can find one that leaked.
const SecretPrefix = "ks_"

// secretEncoding writes secrets in lowercase base32 without padding: no
// characters that break a double-click selection or a URL.
var secretEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").
	WithPadding(base32.NoPadding)

// Why an authentication failed, for callers to branch on with errors.Is.
var (
	ErrNoToken      = errors.New("no bearer token")
	ErrUnknownToken = errors.New("unknown token")
	ErrTokenExpired = errors.New("token expired")
	ErrTokenRevoked = errors.New("token revoked")
)

// HashSecret is the hex SHA-256 of a secret, as the store keeps it.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Fingerprint names a presented secret in logs and audit entries
// without revealing it: the first 12 hex digits of its SHA-256.
func Fingerprint(secret string) string {
	return "sha256:" + HashSecret(secret)[:12]
}

// TokenSpec is what a new token is made from.
type TokenSpec struct {
	Name      string
	Role      Role
	Scopes    store.TokenScopes
	CreatedBy string
	CreatedAt time.Time
	// ExpiresAt is zero for a token that never expires.
	ExpiresAt time.Time
}

// NewToken makes a token and its secret. Only the token goes to the
// store; the secret is shown to its owner once.
func NewToken(s TokenSpec) (store.APIToken, string, error) {
	if err := s.validate(); err != nil {
		return store.APIToken{}, "", err
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	secret := SecretPrefix + secretEncoding.EncodeToString(raw)
	t := store.APIToken{ID: "tok_" + ulid.Make().String(), Name: s.Name,
		SecretHash: HashSecret(secret), Role: string(s.Role),
		Scopes: s.Scopes, CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt,
		ExpiresAt: s.ExpiresAt}
	return t, secret, nil
}

// FieldError says which field of a request is bad and why.
type FieldError struct {
	Field  string
	Value  string
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s (%q)", e.Field, e.Reason, e.Value)
}

// validate names the first bad field of s.
func (s TokenSpec) validate() error {
	switch {
	case strings.TrimSpace(s.Name) == "":
		return &FieldError{"name", s.Name, "required"}
	case !s.Role.Valid():
		return &FieldError{"role", string(s.Role),
			"not viewer, responder, policy-admin or admin"}
	case !s.ExpiresAt.IsZero() && !s.ExpiresAt.After(s.CreatedAt):
		return &FieldError{"expires_at", s.ExpiresAt.Format(time.RFC3339),
			"not after the time of creation"}
	}
	for _, k := range s.Scopes.PrincipalKinds {
		if !k.Valid() {
			return &FieldError{"scopes.principal_kinds", string(k),
				"not a principal kind"}
		}
	}
	return nil
}

// touchEvery is how stale a token's recorded last use may get before an
// authentication records it again: not one write per request.
const touchEvery = time.Minute

// Authenticator checks bearer secrets against the stored tokens. The
// console uses it for its own logins.
type Authenticator struct {
	tokens store.APITokens
	now    func() time.Time
	log    *slog.Logger
}

// NewAuthenticator checks secrets against tokens at the times now gives.
func NewAuthenticator(tokens store.APITokens, now func() time.Time,
	log *slog.Logger) *Authenticator {
	return &Authenticator{tokens: tokens, now: now, log: log}
}

// Authenticate returns the Caller a secret stands for. It fails with
// ErrNoToken, ErrUnknownToken, ErrTokenExpired or ErrTokenRevoked
// (errors.Is), or with a store error; no error holds the secret.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (Caller, error) {
	if secret == "" {
		return Caller{}, ErrNoToken
	}
	if !strings.HasPrefix(secret, SecretPrefix) {
		return Caller{}, ErrUnknownToken
	}
	t, err := a.tokens.APITokenByHash(ctx, HashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		return Caller{}, ErrUnknownToken
	}
	if err != nil {
		return Caller{}, fmt.Errorf("authenticate: %w", err)
	}
	now := a.now()
	switch {
	case !t.RevokedAt.IsZero():
		return Caller{}, fmt.Errorf("token %s: %w", t.ID, ErrTokenRevoked)
	case !t.Usable(now):
		return Caller{}, fmt.Errorf("token %s: %w", t.ID, ErrTokenExpired)
	}
	a.touch(ctx, t, now)
	return Caller{TokenID: t.ID, Name: t.Name, Role: Role(t.Role),
		Scopes: t.Scopes}, nil
}

// touch records a use of t when the recorded one is stale; a failure is
// logged and does not refuse the request.
func (a *Authenticator) touch(ctx context.Context, t store.APIToken, now time.Time) {
	if now.Sub(t.LastUsedAt) < touchEvery {
		return
	}
	if err := a.tokens.TouchAPIToken(ctx, t.ID, now); err != nil {
		a.log.Warn("record token use", "token_id", t.ID, "err", err)
	}
}
