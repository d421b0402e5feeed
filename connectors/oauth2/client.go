package oauth2

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Connector revokes and introspects tokens at one OAuth 2.0 server.
type Connector struct {
	provider   string
	cfg        Config
	revoke     *restclient.Client
	introspect *restclient.Client
}

// New builds the connector named name serving provider.
func New(name, provider string, cfg Config, log *slog.Logger) (*Connector, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rv, err := restclient.New(name, cfg.HTTP, cfg.auth(), log)
	if err != nil {
		return nil, err
	}
	c := &Connector{provider: provider, cfg: cfg, revoke: rv}
	if cfg.IntrospectionURL != "" {
		h := cfg.HTTP
		h.BaseURL = cfg.IntrospectionURL
		if c.introspect, err = restclient.New(name+"-introspect", h, cfg.auth(), log); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Provider is the provider name credentials carry.
func (c *Connector) Provider() string { return c.provider }

// Revoke is Unsupported: RFC 7009 needs the token, and the registry
// keeps only its fingerprint. Use RevokeToken with the token in hand.
func (c *Connector) Revoke(_ context.Context, req connectors.Request) connectors.Result {
	return connectors.Unsupportedf("oauth2: %s needs the token itself, which "+
		"the registry does not keep; revoke it with the token in hand", req.Op)
}

// RevokeToken revokes token (RFC 7009); hint is "access_token",
// "refresh_token" or "". The server answers 200 for unknown and already
// revoked tokens alike, so a repeat is Done again; 400
// unsupported_token_type is Unsupported; 503 with Retry-After is waited.
func (c *Connector) RevokeToken(ctx context.Context, token restclient.Secret,
	hint string) connectors.Result {
	resp, err := c.revoke.Do(ctx, c.form(token, hint))
	res := c.revoke.Result(resp, err, token)
	if res.VendorCode == "unsupported_token_type" {
		res.Outcome = connectors.Unsupported
	}
	return res
}

// form is the request both endpoints take: the token in an
// application/x-www-form-urlencoded body, with the client's credentials
// in it when ClientAuth is "post".
func (c *Connector) form(token restclient.Secret, hint string) restclient.Request {
	f := url.Values{"token": {token.Reveal()}}
	if hint != "" {
		f.Set("token_type_hint", hint)
	}
	secrets := []restclient.Secret{token}
	if c.cfg.ClientAuth == "post" && c.cfg.ClientID != "" {
		f.Set("client_id", c.cfg.ClientID)
		f.Set("client_secret", c.cfg.ClientSecret.Reveal())
		secrets = append(secrets, c.cfg.ClientSecret)
	}
	return restclient.Request{Method: http.MethodPost, Path: "",
		Body: []byte(f.Encode()), Idempotent: true, Secrets: secrets,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}
}

// introspection is RFC 7662's answer, as far as it is read.
type introspection struct {
	Active bool   `json:"active"`
	Exp    int64  `json:"exp"`
	Sub    string `json:"sub"`
	User   string `json:"username"`
}

// Validate asks the introspection endpoint whether secret is active,
// without using it for anything else (connectors.Validator).
func (c *Connector) Validate(ctx context.Context, secret string) (connectors.Validity, error) {
	if c.introspect == nil {
		return connectors.Validity{}, fmt.Errorf("oauth2: no introspection_url configured")
	}
	tok := restclient.NewSecret(secret)
	var in introspection
	resp, err := c.introspect.GetJSON(ctx, c.form(tok, ""), &in)
	if err != nil {
		return connectors.Validity{}, fmt.Errorf("introspect: %w",
			c.introspect.Result(resp, err, tok).Err)
	}
	v := connectors.Validity{Active: in.Active, Subject: firstOf(in.Sub, in.User)}
	if in.Exp > 0 {
		v.ExpiresAt = time.Unix(in.Exp, 0).UTC()
	}
	return v, nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
