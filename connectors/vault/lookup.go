package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// AccessorAlias is the alias type of a principal's Vault token accessor,
// one per token.
const AccessorAlias = "vault_accessor"

// Token is what a lookup tells of a token.
type Token struct {
	Accessor    string     `json:"accessor"`
	DisplayName string     `json:"display_name"`
	EntityID    string     `json:"entity_id"`
	Path        string     `json:"path"`
	Type        string     `json:"type"`
	Orphan      bool       `json:"orphan"`
	Policies    []string   `json:"policies"`
	CreatedUnix int64      `json:"creation_time"`
	TTL         int64      `json:"ttl"`
	ExpireTime  *time.Time `json:"expire_time"`
}

// CreatedAt is when the token was created.
func (t Token) CreatedAt() time.Time { return time.Unix(t.CreatedUnix, 0).UTC() }

// ExpiresAt is when the token lapses, zero for a token without a TTL.
func (t Token) ExpiresAt() time.Time {
	if t.ExpireTime == nil {
		return time.Time{}
	}
	return t.ExpireTime.UTC()
}

// lookupAccessor looks a token up by accessor.
func (c *Connector) lookupAccessor(ctx context.Context, accessor string) (Token, error) {
	return c.lookup(ctx, "/v1/auth/token/lookup-accessor",
		map[string]string{"accessor": accessor}, nil)
}

// lookup posts body to a lookup path and reads the token in its data.
func (c *Connector) lookup(ctx context.Context, path string, body any,
	secrets []restclient.Secret) (Token, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return Token{}, err
	}
	var out struct {
		Data Token `json:"data"`
	}
	_, err = c.http.GetJSON(ctx, restclient.Request{Method: http.MethodPost,
		Path: path, Body: b, Header: c.cfg.header(), Idempotent: true,
		Secrets: secrets}, &out)
	return out.Data, err
}

// gone reports whether a lookup by accessor or lease id says there is
// no such token or lease: Vault answers 400 ("invalid accessor",
// "invalid lease"), whatever the words. A 403 is the connector's own
// token refused: an error, never a token gone, or a wrong token would
// make every token look revoked.
func gone(err error) bool {
	var se *restclient.StatusError
	return errors.As(err, &se) && se.Resp.Status == http.StatusBadRequest
}

// tokenGone reports whether a lookup by the token itself says there is
// no such token: Vault answers 403 ("bad token") there, or 400.
func tokenGone(err error) bool {
	var se *restclient.StatusError
	return gone(err) || errors.As(err, &se) &&
		se.Resp.Status == http.StatusForbidden
}

// List looks up each token whose accessor the principal's aliases name.
// A principal with none lists nothing and ends nothing; a token Vault no
// longer has is left out, so the sync ends it.
func (c *Connector) List(ctx context.Context, p store.Principal,
	aliases []store.Alias) (connectors.Listing, error) {
	var l connectors.Listing
	for _, a := range aliases {
		if a.Type != AccessorAlias || a.Value == "" {
			continue
		}
		l.CredentialsListed = true
		t, err := c.lookupAccessor(ctx, a.Value)
		if gone(err) {
			continue
		}
		if err != nil {
			return connectors.Listing{}, fmt.Errorf("look up a token of %s: %w",
				p.ID, err)
		}
		l.Credentials = append(l.Credentials, t.credential())
		if t.EntityID != "" {
			l.Aliases = append(l.Aliases,
				store.Alias{Type: "vault_entity", Value: t.EntityID})
		}
	}
	return l, nil
}

// credential is the token as the registry keeps it: its accessor, never
// the token.
func (t Token) credential() store.Credential {
	return store.Credential{Kind: KindToken, ExternalID: t.Accessor,
		CreatedAt: t.CreatedAt(), ExpiresAt: t.ExpiresAt(),
		Effect: store.EffectImmediate}
}

// Verify looks whether a revoked token or lease is gone.
func (c *Connector) Verify(ctx context.Context, req connectors.Request) connectors.Verification {
	cred := req.Credential
	if cred == nil {
		return check(connectors.Requested, "nothing to look up")
	}
	switch cred.Kind {
	case KindToken:
		_, err := c.lookupAccessor(ctx, cred.ExternalID)
		return seen(err, "lookup-accessor of the token")
	case KindLease:
		b, _ := json.Marshal(map[string]string{"lease_id": cred.ExternalID})
		resp, err := c.http.Do(ctx, restclient.Request{Method: http.MethodPut,
			Path: "/v1/sys/leases/lookup", Body: b, Header: c.cfg.header()})
		if err == nil {
			err = resp.Err()
		}
		return seen(err, "lookup of the lease")
	}
	return check(connectors.Requested, "Vault lists no leases by prefix "+
		"without sudo on sys/leases/lookup; not looked at")
}

// seen turns a lookup's outcome into a verification: gone is confirmed,
// found is failed, an error is requested.
func seen(err error, what string) connectors.Verification {
	switch {
	case gone(err):
		return check(connectors.Confirmed, what+": Vault no longer has it")
	case err != nil:
		return check(connectors.Requested, "could not look: "+err.Error())
	}
	return check(connectors.Failed, what+": Vault still has it")
}

func check(c connectors.Check, evidence string) connectors.Verification {
	return connectors.Verification{Check: c, Evidence: evidence}
}

// Validate looks a token up by value, without using it: a 403 (or 400)
// means Vault no longer honours it.
func (c *Connector) Validate(ctx context.Context, secret string) (connectors.Validity, error) {
	t, err := c.lookup(ctx, "/v1/auth/token/lookup",
		map[string]string{"token": secret},
		[]restclient.Secret{restclient.NewSecret(secret)})
	if tokenGone(err) {
		return connectors.Validity{}, nil
	}
	if err != nil {
		return connectors.Validity{}, fmt.Errorf("look up token: %w", err)
	}
	return connectors.Validity{Active: true, ExpiresAt: t.ExpiresAt(),
		Subject: t.EntityID}, nil
}

// CheckCredential looks a token up by its accessor (the credential's
// ExternalID), without the token: Vault still having it is active; a
// lease or another kind cannot be looked at this way.
func (c *Connector) CheckCredential(ctx context.Context,
	cred store.Credential) (connectors.Validity, error) {
	if cred.Kind != KindToken || cred.ExternalID == "" {
		return connectors.Validity{}, fmt.Errorf("vault: credential %s is "+
			"not a token with an accessor: %w", cred.ID,
			connectors.ErrValidityUnknown)
	}
	t, err := c.lookupAccessor(ctx, cred.ExternalID)
	if gone(err) {
		return connectors.Validity{}, nil
	}
	if err != nil {
		return connectors.Validity{}, fmt.Errorf("vault: look up the "+
			"token of credential %s: %w", cred.ID, err)
	}
	return connectors.Validity{Active: true, ExpiresAt: t.ExpiresAt(),
		Subject: t.EntityID}, nil
}
