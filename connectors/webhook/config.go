// Package webhook asks any system that killswitch has no connector for to
// revoke, by POSTing a signed JSON request to an endpoint the operator
// runs. The body names the operation, principal, aliases and session or
// credential (never a secret); it is signed with HMAC-SHA256 over
// "<timestamp>.<body>" (see Sign) and carries an Idempotency-Key that is
// the same for every retry of the same change.
//
// The receiver answers: 2xx done; 404, 410 or 409 already done; 422 it
// cannot act on this principal (Unsupported); 429 and 5xx retry later
// (Retry-After honoured); any other status a permanent refusal.
package webhook

import (
	"fmt"

	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Config configures one webhook endpoint.
type Config struct {
	// HTTP holds base_url (the endpoint, https://hooks.example.com/ks),
	// timeouts, retries, rate limit and breaker; see restclient.Config.
	HTTP restclient.Config `json:"-"`
	// SigningKey signs each request with HMAC-SHA256. Required; at least
	// 32 bytes.
	SigningKey restclient.Secret `json:"signing_key"`
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token restclient.Secret `json:"token"`
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	c.HTTP = c.HTTP.WithDefaults()
	return c
}

// Validate checks c after defaults; errors name the field.
func (c Config) Validate() error {
	if err := c.HTTP.Validate(); err != nil {
		return err
	}
	if n := len(c.SigningKey.Reveal()); n < 32 {
		return fmt.Errorf("signing_key: %d bytes, want at least 32", n)
	}
	return nil
}

func (c Config) auth() restclient.Auth {
	if c.Token.IsZero() {
		return restclient.None()
	}
	return restclient.Bearer(c.Token)
}
