// Package okta revokes at Okta through its Management API: a user's
// sessions (with their OAuth tokens when asked), one session, OAuth
// grants, refresh tokens and API tokens, and suspends users. It lists a
// user's grants and refresh tokens, and verifies revocations where Okta
// lets it look.
//
// Aliases it reads, in order: okta_user_id, then okta_login, login or
// email (resolved to the id with GET /api/v1/users/{login}).
package okta

import (
	"fmt"

	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Config configures one Okta org.
type Config struct {
	// HTTP holds base_url (https://example.okta.com), timeouts, retries,
	// rate limit and breaker; see restclient.Config.
	HTTP restclient.Config `json:"-"`
	// Token is the API token. Required.
	Token restclient.Secret `json:"token"`
	// Scheme is how Token is sent: "ssws" (an API token, default) or
	// "bearer" (an OAuth access token of a service app).
	Scheme string `json:"scheme"`
	// Disable is what disable_principal does: "suspend" (default; the
	// user can be unsuspended) or "deactivate" (stronger; deprovisions).
	Disable string `json:"disable"`
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	c.HTTP = c.HTTP.WithDefaults()
	if c.Scheme == "" {
		c.Scheme = "ssws"
	}
	if c.Disable == "" {
		c.Disable = "suspend"
	}
	return c
}

// Validate checks c after defaults; errors name the field.
func (c Config) Validate() error {
	if err := c.HTTP.Validate(); err != nil {
		return err
	}
	switch {
	case c.Token.IsZero():
		return fmt.Errorf("token: required")
	case c.Scheme != "ssws" && c.Scheme != "bearer":
		return fmt.Errorf("scheme: not ssws or bearer (%q)", c.Scheme)
	case c.Disable != "suspend" && c.Disable != "deactivate":
		return fmt.Errorf("disable: not suspend or deactivate (%q)", c.Disable)
	}
	return nil
}

func (c Config) auth() restclient.Auth {
	if c.Scheme == "bearer" {
		return restclient.Bearer(c.Token)
	}
	return restclient.SSWS(c.Token)
}
