package store

import (
	"context"
	"time"
)

// TokenScopes narrow what an API token may see and touch. An empty list
// does not narrow: a token with no scopes reaches everything its role
// allows.
type TokenScopes struct {
	// PrincipalKinds limits the token to principals of these kinds and
	// to their sessions, credentials and actions.
	PrincipalKinds []PrincipalKind `json:"principal_kinds,omitempty"`
	// Providers limits the token to sessions of these providers and
	// credentials of these stores.
	Providers []string `json:"providers,omitempty"`
}

// APIToken is a bearer token of the HTTP API. The secret is never
// stored: SecretHash is the hex SHA-256 of it, the only way to find the
// token again.
type APIToken struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	SecretHash string      `json:"-"`
	Role       string      `json:"role"`
	Scopes     TokenScopes `json:"scopes"`
	CreatedBy  string      `json:"created_by"`
	CreatedAt  time.Time   `json:"created_at"`
	// ExpiresAt is zero for a token that never expires.
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// RevokedAt is zero while the token is not revoked.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
}

// Usable reports whether t may authenticate at now: not revoked, not
// expired.
func (t APIToken) Usable(now time.Time) bool {
	if !t.RevokedAt.IsZero() {
		return false
	}
	return t.ExpiresAt.IsZero() || t.ExpiresAt.After(now)
}

// APITokens keeps the tokens of the HTTP API.
type APITokens interface {
	// CreateAPIToken inserts a new token; ErrConflict when its id or
	// secret hash is taken, ErrInvalid when id, name, secret hash or
	// role is empty.
	CreateAPIToken(ctx context.Context, t APIToken) error
	// APITokenByHash returns the token whose secret hashes to hash, or
	// ErrNotFound; revoked and expired tokens are returned too.
	APITokenByHash(ctx context.Context, hash string) (APIToken, error)
	// ListAPITokens returns every token, revoked ones included, in
	// creation order.
	ListAPITokens(ctx context.Context) ([]APIToken, error)
	// RevokeAPIToken revokes the token at at by by; changed is false when
	// it was revoked already; ErrNotFound for an unknown id.
	RevokeAPIToken(ctx context.Context, id, by string, at time.Time) (changed bool, err error)
	// TouchAPIToken records a use of the token at at; an earlier time
	// than the one recorded is ignored.
	TouchAPIToken(ctx context.Context, id string, at time.Time) error
}
