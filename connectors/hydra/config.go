package hydra

import (
	"fmt"

	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// Config configures one Hydra instance.
type Config struct {
	// HTTP holds base_url, the admin endpoint (http://hydra:4445),
	// required, and the timeouts, retries, rate limit and breaker; see
	// restclient.Config.
	HTTP restclient.Config `json:"-"`
	// APIKey, when set, is sent as a Bearer token, as Ory Network's
	// admin API wants; a self-hosted admin API takes none.
	APIKey restclient.Secret `json:"api_key"`
	// SubjectAliases are the alias types whose value is the principal's
	// OAuth subject at Hydra, tried in order. Default ["oauth_subject",
	// "kratos_identity"]: in an Ory stack the subject is the Kratos
	// identity id.
	SubjectAliases []string `json:"subject_aliases"`
	// AccessTokens is Hydra's access token strategy: "opaque" (default;
	// Hydra checks them on introspection, so revocation is immediate) or
	// "jwt" (a resource server that checks the signature alone honours
	// one until its exp).
	AccessTokens string `json:"access_tokens"`
	// PageSize is how many consent sessions one page asks for. Default
	// 250.
	PageSize int `json:"page_size"`
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.SubjectAliases == nil {
		c.SubjectAliases = []string{"oauth_subject", "kratos_identity"}
	}
	if c.AccessTokens == "" {
		c.AccessTokens = "opaque"
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
	if c.AccessTokens != "opaque" && c.AccessTokens != "jwt" {
		return fmt.Errorf("access_tokens: not opaque or jwt (%q)",
			c.AccessTokens)
	}
	return nil
}

// effect is how revoking a grant takes effect for its access tokens.
func (c Config) effect() store.Effect {
	if c.AccessTokens == "jwt" {
		return store.EffectAtExpiry
	}
	return store.EffectImmediate
}

func (c Config) auth() restclient.Auth {
	if c.APIKey.IsZero() {
		return restclient.None()
	}
	return restclient.Bearer(c.APIKey)
}
