// Package entra revokes at Microsoft Entra ID through Microsoft Graph: a
// user's sign-in sessions and refresh tokens (revokeSignInSessions),
// disabling users and service principals, and removing a service
// principal's client secrets (password credentials). It lists the client
// secrets of a service principal, or of those a user owns.
//
// Aliases it reads: entra_object_id, then entra_upn, upn or email, for
// users; entra_sp_id for service principals.
//
// revokeSignInSessions takes minutes to bite and does nothing for guests
// (they sign in at their home tenant): Verify reports it as Requested,
// and a guest (#EXT# in the UPN, or userType Guest) is disabled in this
// tenant instead, or refused as Unsupported (GuestSessions).
package entra

import (
	"fmt"

	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Config configures one Entra tenant.
type Config struct {
	// HTTP holds base_url (default https://graph.microsoft.com/v1.0),
	// timeouts, retries, rate limit and breaker; see restclient.Config.
	HTTP restclient.Config `json:"-"`
	// TenantID, ClientID and ClientSecret get a token with the client
	// credentials grant. Needs User.RevokeSessions.All, User.ReadWrite.All
	// (disable) and Application.ReadWrite.All (secrets).
	TenantID     string            `json:"tenant_id"`
	ClientID     string            `json:"client_id"`
	ClientSecret restclient.Secret `json:"client_secret"`
	// TokenURL overrides the token endpoint; default
	// https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token.
	TokenURL string `json:"token_url"`
	// Token is a ready access token instead of the client credentials.
	Token restclient.Secret `json:"token"`
	// GuestSessions is what revoking a guest's session does: "disable"
	// (default: disable the guest account in this tenant, the only cut
	// that works) or "unsupported" (refuse, for a responder to decide).
	GuestSessions string `json:"guest_sessions"`
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	if c.HTTP.BaseURL == "" {
		c.HTTP.BaseURL = "https://graph.microsoft.com/v1.0"
	}
	c.HTTP = c.HTTP.WithDefaults()
	if c.TokenURL == "" && c.TenantID != "" {
		c.TokenURL = "https://login.microsoftonline.com/" + c.TenantID +
			"/oauth2/v2.0/token"
	}
	if c.GuestSessions == "" {
		c.GuestSessions = "disable"
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
	case c.Token.IsZero() && c.TokenURL == "":
		return fmt.Errorf("tenant_id: required with client_secret")
	case c.GuestSessions != "disable" && c.GuestSessions != "unsupported":
		return fmt.Errorf("guest_sessions: not disable or unsupported (%q)",
			c.GuestSessions)
	}
	if c.TokenURL != "" {
		if err := restclient.ValidateBaseURL(c.TokenURL); err != nil {
			return fmt.Errorf("token_url: %w", err)
		}
	}
	return nil
}

func (c Config) auth() restclient.Auth {
	if !c.Token.IsZero() {
		return restclient.Bearer(c.Token)
	}
	return restclient.ClientCredentials(restclient.ClientCredentialsConfig{
		TokenURL: c.TokenURL, ClientID: c.ClientID,
		ClientSecret: c.ClientSecret,
		Scopes:       []string{"https://graph.microsoft.com/.default"}})
}
