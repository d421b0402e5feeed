// Package oauth2 revokes tokens at any OAuth 2.0 server with RFC 7009
// token revocation, and checks them with RFC 7662 introspection: Okta's
// /oauth2/{as}/v1/revoke, Keycloak's .../protocol/openid-connect/revoke,
// Auth0's /oauth/revoke, Google's https://oauth2.googleapis.com/revoke,
// Hydra's /oauth2/revoke.
//
// Both calls need the token itself, which the registry never keeps: the
// engine's Revoke requests are Unsupported here, and callers that hold a
// token (a leaked secret being handled) use RevokeToken and Validate.
package oauth2

import (
	"fmt"

	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Config configures one OAuth 2.0 server for one client.
type Config struct {
	// HTTP holds the shared settings; its base_url is the revocation
	// endpoint (https://idp.example.com/oauth2/revoke).
	HTTP restclient.Config `json:"-"`
	// IntrospectionURL is the RFC 7662 endpoint; empty disables
	// Validate.
	IntrospectionURL string `json:"introspection_url"`
	// ClientID and ClientSecret authenticate the client; Google's revoke
	// endpoint takes none (leave both empty).
	ClientID     string            `json:"client_id"`
	ClientSecret restclient.Secret `json:"client_secret"`
	// ClientAuth is how: "basic" (HTTP Basic, default) or "post"
	// (client_id and client_secret in the form).
	ClientAuth string `json:"client_auth"`
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	c.HTTP = c.HTTP.WithDefaults()
	if c.ClientAuth == "" {
		c.ClientAuth = "basic"
	}
	return c
}

// Validate checks c after defaults; errors name the field.
func (c Config) Validate() error {
	if err := c.HTTP.Validate(); err != nil {
		return err
	}
	if c.IntrospectionURL != "" {
		if err := restclient.ValidateBaseURL(c.IntrospectionURL); err != nil {
			return fmt.Errorf("introspection_url: %w", err)
		}
	}
	switch {
	case c.ClientAuth != "basic" && c.ClientAuth != "post":
		return fmt.Errorf("client_auth: not basic or post (%q)", c.ClientAuth)
	case c.ClientID == "" && !c.ClientSecret.IsZero():
		return fmt.Errorf("client_id: required with client_secret")
	}
	return nil
}

func (c Config) auth() restclient.Auth {
	if c.ClientAuth == "basic" && c.ClientID != "" {
		return restclient.Basic(c.ClientID, c.ClientSecret)
	}
	return restclient.None()
}
