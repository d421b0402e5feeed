package vault

import (
	"errors"
	"net/http"

	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Config configures one Vault (or OpenBao) server.
type Config struct {
	// HTTP holds base_url, the server's address (https://vault:8200),
	// required, and the timeouts, retries, rate limit and breaker; see
	// restclient.Config.
	HTTP restclient.Config `json:"-"`
	// Token is sent as X-Vault-Token. Required. It needs the policies
	// for auth/token/lookup-accessor, auth/token/revoke-accessor,
	// sys/leases/lookup and sys/leases/revoke, and sudo on
	// sys/leases/revoke-prefix for prefix revocations.
	Token restclient.Secret `json:"token"`
	// Namespace is sent as X-Vault-Namespace (Vault Enterprise, OpenBao
	// namespaces); empty sends none.
	Namespace string `json:"namespace"`
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	c.HTTP = c.HTTP.WithDefaults()
	return c
}

// Validate checks c after defaults; errors name the field.
func (c Config) Validate() error {
	if err := c.HTTP.Validate(); err != nil {
		return err
	}
	if c.Token.IsZero() {
		return errors.New("token: required")
	}
	return nil
}

// header is the namespace header, or none.
func (c Config) header() http.Header {
	if c.Namespace == "" {
		return nil
	}
	return http.Header{"X-Vault-Namespace": {c.Namespace}}
}
