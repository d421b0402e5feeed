// Package keycloak revokes at Keycloak through its Admin REST API: online
// and offline sessions, consents (which carry offline tokens), logging a
// user out, and disabling users, including the service-account users of
// clients. Logout alone leaves offline tokens alive, so revoking all of a
// user's sessions also revokes every consent that holds offline tokens.
//
// Aliases it reads: keycloak_user_id; else keycloak_username, username
// or email (looked up exactly); else keycloak_client_id, the clientId of
// a client whose service-account user is the principal.
package keycloak

import (
	"fmt"
	"strings"

	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Config configures one Keycloak realm.
type Config struct {
	// HTTP holds base_url (the server root, https://kc.example.com),
	// timeouts, retries, rate limit and breaker; see restclient.Config.
	HTTP restclient.Config `json:"-"`
	// Realm is the realm whose users are acted on. Required.
	Realm string `json:"realm"`
	// PathPrefix goes before /admin and /realms: "/auth" on Keycloak
	// before 17 (WildFly). Default "".
	PathPrefix string `json:"path_prefix"`
	// ClientID and ClientSecret get a token with the client credentials
	// grant from TokenRealm; the client's service account needs the
	// realm-management roles manage-users and view-users (and
	// view-clients for service-account principals).
	ClientID     string            `json:"client_id"`
	ClientSecret restclient.Secret `json:"client_secret"`
	// TokenRealm is the realm of that client. Default: Realm.
	TokenRealm string `json:"token_realm"`
	// Token is a ready access token instead of the client credentials.
	Token restclient.Secret `json:"token"`
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	c.HTTP = c.HTTP.WithDefaults()
	if c.TokenRealm == "" {
		c.TokenRealm = c.Realm
	}
	c.PathPrefix = strings.TrimRight(c.PathPrefix, "/")
	return c
}

// Validate checks c after defaults; errors name the field.
func (c Config) Validate() error {
	if err := c.HTTP.Validate(); err != nil {
		return err
	}
	switch {
	case c.Realm == "":
		return fmt.Errorf("realm: required")
	case c.Token.IsZero() && c.ClientSecret.IsZero():
		return fmt.Errorf("client_secret: required (or token)")
	case c.Token.IsZero() && c.ClientID == "":
		return fmt.Errorf("client_id: required with client_secret")
	case c.PathPrefix != "" && !strings.HasPrefix(c.PathPrefix, "/"):
		return fmt.Errorf("path_prefix: must start with / (%q)", c.PathPrefix)
	}
	return nil
}

func (c Config) auth() restclient.Auth {
	if !c.Token.IsZero() {
		return restclient.Bearer(c.Token)
	}
	return restclient.ClientCredentials(restclient.ClientCredentialsConfig{
		TokenURL: strings.TrimRight(c.HTTP.BaseURL, "/") + c.PathPrefix +
			"/realms/" + c.TokenRealm + "/protocol/openid-connect/token",
		ClientID: c.ClientID, ClientSecret: c.ClientSecret})
}
