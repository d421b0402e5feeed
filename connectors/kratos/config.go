package kratos

import (
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Defaults.
const (
	// DefaultIdentityAlias is the alias type of a Kratos identity id.
	DefaultIdentityAlias = "kratos_identity"
)

// Config configures one Kratos instance.
type Config struct {
	// HTTP holds base_url, the admin endpoint (http://kratos:4434),
	// required, and the timeouts, retries, rate limit and breaker; see
	// restclient.Config.
	HTTP restclient.Config `json:"-"`
	// APIKey, when set, is sent as a Bearer token, as Ory Network's
	// admin API wants; a self-hosted admin API takes none and must not
	// be reachable from outside.
	APIKey restclient.Secret `json:"api_key"`
	// IdentityAlias is the alias type that holds a principal's Kratos
	// identity id. Default "kratos_identity". The sync attaches it once
	// it has looked the identity up.
	IdentityAlias string `json:"identity_alias"`
	// LookupAliases are alias types whose values are the principal's
	// login identifiers at Kratos (an email), used to find the identity
	// when the principal has no IdentityAlias. Default ["email"].
	LookupAliases []string `json:"lookup_aliases"`
	// PageSize is how many sessions one page of a listing asks for.
	// Default 250.
	PageSize int `json:"page_size"`
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.IdentityAlias == "" {
		c.IdentityAlias = DefaultIdentityAlias
	}
	if c.LookupAliases == nil {
		c.LookupAliases = []string{"email"}
	}
	if c.PageSize <= 0 {
		c.PageSize = 250
	}
	c.HTTP = c.HTTP.WithDefaults()
	return c
}

// Validate checks c after defaults; errors name the field.
func (c Config) Validate() error {
	if err := c.HTTP.Validate(); err != nil {
		return err
	}
	return nil
}

// auth is how calls authenticate.
func (c Config) auth() restclient.Auth {
	if c.APIKey.IsZero() {
		return restclient.None()
	}
	return restclient.Bearer(c.APIKey)
}
