package awsiam

import (
	"errors"
	"fmt"

	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// DefaultEndpoint is IAM's global endpoint.
const DefaultEndpoint = "https://iam.amazonaws.com"

// Config configures the connector for one AWS account.
type Config struct {
	// HTTP holds base_url, the IAM endpoint (default
	// https://iam.amazonaws.com; China and GovCloud have their own), and
	// the timeouts, retries, rate limit and breaker; see
	// restclient.Config. The shared client does the retrying; the SDK's
	// own retries are off.
	HTTP restclient.Config `json:"-"`
	// Region signs the requests (SigV4). Default us-east-1, where the
	// global endpoint lives.
	Region string `json:"region"`
	// AccessKeyID, SecretAccessKey and SessionToken (optional, for
	// temporary credentials) are the connector's own credentials, with
	// iam:ListAccessKeys, iam:GetAccessKeyLastUsed, iam:UpdateAccessKey
	// and, for revoke: delete, iam:DeleteAccessKey.
	AccessKeyID     string            `json:"access_key_id"`
	SecretAccessKey restclient.Secret `json:"secret_access_key"`
	SessionToken    restclient.Secret `json:"session_token"`
	// Revoke is what revoking an access key does: "deactivate" (default;
	// reversible, the key stays listed as Inactive) or "delete".
	Revoke string `json:"revoke"`
	// UserAliases are the alias types that name the principal's IAM
	// user, tried in order: a user name, or an ARN ending in
	// :user/<path>/<name>. Default ["aws_user", "arn"].
	UserAliases []string `json:"user_aliases"`
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.HTTP.BaseURL == "" {
		c.HTTP.BaseURL = DefaultEndpoint
	}
	c.HTTP = c.HTTP.WithDefaults()
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Revoke == "" {
		c.Revoke = "deactivate"
	}
	if c.UserAliases == nil {
		c.UserAliases = []string{"aws_user", "arn"}
	}
	return c
}

// Validate checks c after defaults; errors name the field.
func (c Config) Validate() error {
	if err := c.HTTP.Validate(); err != nil {
		return err
	}
	switch {
	case c.AccessKeyID == "":
		return errors.New("access_key_id: required")
	case c.SecretAccessKey.IsZero():
		return errors.New("secret_access_key: required")
	case c.Revoke != "deactivate" && c.Revoke != "delete":
		return fmt.Errorf("revoke: not deactivate or delete (%q)", c.Revoke)
	}
	return nil
}
