package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// Why an authentication failed, for callers to branch on with errors.Is.
var (
	ErrNoToken      = errors.New("no bearer token")
	ErrUnknownToken = errors.New("unknown token")
	ErrTokenExpired = errors.New("token expired")
	ErrTokenRevoked = errors.New("token revoked")
)

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
	return a.byHash(ctx, HashSecret(secret))
}

// Recheck returns c as its token stands now, failing as Authenticate
// does once the token was revoked or expired after c authenticated. A
// surface that keeps a caller across requests (the console's sign-ins)
// rechecks it on every request, so that no sign-in outlives its token.
func (a *Authenticator) Recheck(ctx context.Context, c Caller) (Caller, error) {
	if c.secretHash == "" {
		return Caller{}, ErrUnknownToken
	}
	return a.byHash(ctx, c.secretHash)
}

// byHash is the caller of the token whose secret hashes to hash.
func (a *Authenticator) byHash(ctx context.Context, hash string) (Caller, error) {
	t, err := a.tokens.APITokenByHash(ctx, hash)
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
		Scopes: t.Scopes, ExpiresAt: t.ExpiresAt, secretHash: hash}, nil
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
