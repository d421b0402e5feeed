// Package github revokes GitHub personal access tokens that GitHub secret
// scanning found exposed, with the credential revocation API, and then
// closes the secret scanning alert with resolution "revoked".
//
// The registry keeps no secrets, so the connector finds the token in the
// alert: Credential.ExternalID "owner/repo#number" names the alert, or
// the connector searches the alerts of the repository the exposure names
// (Credential.Exposure.Where) for the one whose secret's sha256 is the
// credential's fingerprint. The token is held in memory for the call
// only and scrubbed from every error.
//
// GitHub has no API to end a user's web sessions or to suspend a user of
// github.com: revoke_session and disable_principal are Unsupported.
package github

import (
	"fmt"

	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Config configures one GitHub (github.com or an Enterprise Server).
type Config struct {
	// HTTP holds base_url (default https://api.github.com; GHES:
	// https://{host}/api/v3), timeouts, retries, rate limit and breaker.
	HTTP restclient.Config `json:"-"`
	// Token reads and resolves secret scanning alerts: a token with
	// security_events (or repo) scope, or a GitHub App's with
	// secret_scanning_alerts write. Required.
	Token restclient.Secret `json:"token"`
	// RevokeAuthenticated sends Token with the credential revocation
	// call. github.com wants that call unauthenticated (an authenticated
	// one is refused with 403); Enterprise Server documents it
	// authenticated. Default false.
	RevokeAuthenticated bool `json:"revoke_authenticated"`
	// ResolutionComment is written on the alert it resolves. Default
	// "revoked by killswitch".
	ResolutionComment string `json:"resolution_comment"`
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	if c.HTTP.BaseURL == "" {
		c.HTTP.BaseURL = "https://api.github.com"
	}
	c.HTTP = c.HTTP.WithDefaults()
	if c.ResolutionComment == "" {
		c.ResolutionComment = "revoked by killswitch"
	}
	return c
}

// Validate checks c after defaults; errors name the field.
func (c Config) Validate() error {
	if err := c.HTTP.Validate(); err != nil {
		return err
	}
	if c.Token.IsZero() {
		return fmt.Errorf("token: required")
	}
	if len(c.ResolutionComment) > 270 {
		return fmt.Errorf("resolution_comment: longer than GitHub's 270 characters")
	}
	return nil
}
