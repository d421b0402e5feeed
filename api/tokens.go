package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
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

// TokenStore is what creating and revoking tokens needs of the
// registry.
type TokenStore interface {
	store.APITokens
	store.Audit
}

// CreateToken makes a token from s, stores it and audits its creation
// by s.CreatedBy. It returns the stored token and its secret, which the
// caller shows once; the audit entry never holds the secret.
func CreateToken(ctx context.Context, st TokenStore, s TokenSpec) (store.APIToken, string, error) {
	t, secret, err := NewToken(s)
	if err != nil {
		return store.APIToken{}, "", err
	}
	if err := st.CreateAPIToken(ctx, t); err != nil {
		return store.APIToken{}, "", fmt.Errorf("create token: %w", err)
	}
	err = auditToken(ctx, st, s.CreatedBy, "token.created", s.CreatedAt, t)
	return t, secret, err
}

// RevokeToken revokes the token with that id by by at now, audited when
// it was not revoked already, and returns it; store.ErrNotFound for an
// unknown id.
func RevokeToken(ctx context.Context, st TokenStore, id, by string,
	now time.Time) (store.APIToken, error) {
	changed, err := st.RevokeAPIToken(ctx, id, by, now)
	if err != nil {
		return store.APIToken{}, err // it names the token
	}
	ts, err := st.ListAPITokens(ctx)
	if err != nil {
		return store.APIToken{}, fmt.Errorf("revoke token: %w", err)
	}
	i := slices.IndexFunc(ts, func(t store.APIToken) bool { return t.ID == id })
	if i < 0 {
		return store.APIToken{}, fmt.Errorf("revoke token %q: %w", id,
			store.ErrNotFound)
	}
	if changed {
		err = auditToken(ctx, st, by, "token.revoked", now, ts[i])
	}
	return ts[i], err
}

// auditToken records a change to t; the secret is never in it.
func auditToken(ctx context.Context, st store.Audit, actor, event string,
	at time.Time, t store.APIToken) error {
	d, err := json.Marshal(map[string]any{"name": t.Name, "role": t.Role,
		"scopes": t.Scopes, "expires_at": t.ExpiresAt})
	if err != nil {
		return err
	}
	err = st.AppendAudit(ctx, store.AuditEntry{Time: at, Actor: actor,
		Event: event, Subject: "token:" + t.ID, Details: d})
	if err != nil {
		return fmt.Errorf("audit %s: %w", event, err)
	}
	return nil
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
			"not viewer, responder, policy-admin, admin or ingest"}
	case !s.ExpiresAt.IsZero() && !s.ExpiresAt.After(s.CreatedAt):
		return &FieldError{"expires_at", s.ExpiresAt.Format(time.RFC3339),
			"not after the time of creation"}
	}
	for _, p := range s.Scopes.Providers {
		if p == "" || strings.TrimSpace(p) != p {
			return &FieldError{"scopes.providers", p,
				"not a provider name (empty, or spaces around it)"}
		}
	}
	for _, k := range s.Scopes.PrincipalKinds {
		if !k.Valid() {
			return &FieldError{"scopes.principal_kinds", string(k),
				"not a principal kind"}
		}
	}
	return nil
}
