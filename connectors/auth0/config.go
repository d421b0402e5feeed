// Package auth0 revokes at Auth0 through the Management API v2: sessions
// and refresh tokens (both, since refresh tokens outlive a deleted
// session), one session with its refresh tokens, one refresh token, and
// blocking users. Deletions answer 202: Auth0 carries them out
// asynchronously, so Verify says Requested until they are gone. Session
// and refresh-token endpoints need an Enterprise plan.
//
// Aliases it reads: auth0_user_id, then user_id ("auth0|123"), then
// email (GET /api/v2/users-by-email, exactly one match).
package auth0

import (
	"fmt"
	"strings"

	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Config configures one Auth0 tenant.
type Config struct {
	// HTTP holds base_url (https://{tenant}.auth0.com), timeouts,
	// retries, rate limit and breaker; see restclient.Config.
	HTTP restclient.Config `json:"-"`
	// ClientID and ClientSecret get a Management API token with the
	// client credentials grant from {base_url}/oauth/token. Scopes:
	// read:users, update:users, read:sessions, delete:sessions,
	// read:refresh_tokens, delete:refresh_tokens.
	ClientID     string            `json:"client_id"`
	ClientSecret restclient.Secret `json:"client_secret"`
	// Audience is the Management API's identifier. Default
	// {base_url}/api/v2/.
	Audience string `json:"audience"`
	// Token is a ready Management API token instead.
	Token restclient.Secret `json:"token"`
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	c.HTTP = c.HTTP.WithDefaults()
	if c.Audience == "" && c.HTTP.BaseURL != "" {
		c.Audience = strings.TrimRight(c.HTTP.BaseURL, "/") + "/api/v2/"
	}
	return c
}

// Validate checks c after defaults; errors name the field.
func (c Config) Validate() error {
	if err := c.HTTP.Validate(); err != nil {
		return err
	}
	switch {
	case c.Token.IsZero() && c.ClientSecret.IsZero():
		return fmt.Errorf("client_secret: required (or token)")
	case c.Token.IsZero() && c.ClientID == "":
		return fmt.Errorf("client_id: required with client_secret")
	}
	return nil
}

func (c Config) auth() restclient.Auth {
	if !c.Token.IsZero() {
		return restclient.Bearer(c.Token)
	}
	return restclient.ClientCredentials(restclient.ClientCredentialsConfig{
		TokenURL: strings.TrimRight(c.HTTP.BaseURL, "/") + "/oauth/token",
		ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Params: map[string][]string{"audience": {c.Audience}}})
}
