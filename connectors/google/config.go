// Package google revokes at Google Workspace through the Admin SDK
// Directory API: signing a user out everywhere (web and device cookies),
// the OAuth tokens a user granted to each third-party client, app-specific
// passwords, and suspending users. It lists a user's OAuth tokens and
// app-specific passwords.
//
// signOut does not revoke OAuth grants: revoking a session with
// RevokeTokens also deletes the user's token for every client.
//
// Aliases it reads: google_user_id, then google_email or email (the
// userKey accepts either).
package google

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"

	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// scopes are what the connector asks of domain-wide delegation.
var scopes = []string{
	"https://www.googleapis.com/auth/admin.directory.user.security",
	"https://www.googleapis.com/auth/admin.directory.user",
}

// Config configures one Workspace domain.
type Config struct {
	// HTTP holds base_url (default
	// https://admin.googleapis.com/admin/directory/v1), timeouts,
	// retries, rate limit and breaker; see restclient.Config.
	HTTP restclient.Config `json:"-"`
	// ServiceAccountKey is the JSON key of a service account with
	// domain-wide delegation of the admin.directory.user and
	// admin.directory.user.security scopes.
	ServiceAccountKey restclient.Secret `json:"service_account_key"`
	// Subject is the super-admin the service account acts as. Required
	// with ServiceAccountKey.
	Subject string `json:"subject"`
	// TokenURL overrides the key's token_uri (tests, private endpoints).
	TokenURL string `json:"token_url"`
	// Token is a ready access token instead of the key.
	Token restclient.Secret `json:"token"`
}

// WithDefaults returns c with unset fields at their defaults.
func (c Config) WithDefaults() Config {
	if c.HTTP.BaseURL == "" {
		c.HTTP.BaseURL = "https://admin.googleapis.com/admin/directory/v1"
	}
	c.HTTP = c.HTTP.WithDefaults()
	return c
}

// Validate checks c after defaults; errors name the field.
func (c Config) Validate() error {
	if err := c.HTTP.Validate(); err != nil {
		return err
	}
	switch {
	case c.Token.IsZero() && c.ServiceAccountKey.IsZero():
		return fmt.Errorf("service_account_key: required (or token)")
	case c.Token.IsZero() && c.Subject == "":
		return fmt.Errorf("subject: required with service_account_key")
	}
	if c.Token.IsZero() {
		if _, err := c.jwtConfig(); err != nil {
			return fmt.Errorf("service_account_key: %w", err)
		}
	}
	return nil
}

// serviceAccountKey is the part of a key file the connector reads.
type serviceAccountKey struct {
	ClientEmail  string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	PrivateKeyID string `json:"private_key_id"`
	TokenURI     string `json:"token_uri"`
}

func (c Config) jwtConfig() (*jwt.Config, error) {
	var k serviceAccountKey
	if err := json.Unmarshal([]byte(c.ServiceAccountKey.Reveal()), &k); err != nil {
		return nil, fmt.Errorf("not a service account JSON key")
	}
	if k.ClientEmail == "" || k.PrivateKey == "" {
		return nil, fmt.Errorf("no client_email or private_key in the key")
	}
	tokenURL := c.TokenURL
	if tokenURL == "" {
		tokenURL = k.TokenURI
	}
	if tokenURL == "" {
		tokenURL = "https://oauth2.googleapis.com/token"
	}
	return &jwt.Config{Email: k.ClientEmail, PrivateKey: []byte(k.PrivateKey),
		PrivateKeyID: k.PrivateKeyID, Subject: c.Subject, Scopes: scopes,
		TokenURL: tokenURL}, nil
}

func (c Config) auth() restclient.Auth {
	if !c.Token.IsZero() {
		return restclient.Bearer(c.Token)
	}
	jc, _ := c.jwtConfig() // checked by Validate
	hc := &http.Client{Timeout: 10 * time.Second}
	return restclient.OAuth2(jc.TokenURL, func(ctx context.Context) (*oauth2.Token, error) {
		return jc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, hc)).Token()
	}, c.ServiceAccountKey, restclient.NewSecret(string(jc.PrivateKey)))
}
