package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/killswitch-dev/killswitch/internal/configdoc"
	"github.com/killswitch-dev/killswitch/store"
)

// OIDCCallbackPath is where the console takes the provider's answer: the
// path of the redirect URL to register at the provider.
const OIDCCallbackPath = "/oidc/callback"

// OIDCConfig is the console.oidc section of the run config file: sign-in
// through an OpenID Connect provider (the authorization code flow with
// PKCE), beside sign-in with an API token.
//
//	console:
//	  oidc:
//	    name: Okta
//	    issuer: https://example.okta.com
//	    client_id: killswitch-console
//	    client_secret_env: KILLSWITCH_OIDC_CLIENT_SECRET
//	    redirect_url: https://killswitch.example.com/oidc/callback
//	    scopes: [groups]
//	    claim: groups
//	    grants:
//	      - {value: ks-admins, role: admin}
//	      - {value: sa-oncall, role: responder,
//	         principal_kinds: [service_account], providers: [aws]}
type OIDCConfig struct {
	// Name names the provider on the sign-in page ("Sign in with
	// Name"); default "single sign-on".
	Name string `json:"name"`
	// Issuer is the provider's issuer URL, exactly as its discovery
	// document and its ID tokens write it (a trailing slash counts).
	Issuer string `json:"issuer"`
	// ClientID is the console's client id at the provider; required.
	ClientID string `json:"client_id"`
	// ClientSecretEnv and ClientSecretFile say where the client secret
	// is: an environment variable or a file (its content, less the
	// final newline). At most one; with neither the console is a public
	// client, proven by PKCE alone. The secret is never in the file
	// itself, on the command line or in the logs.
	ClientSecretEnv  string `json:"client_secret_env"`
	ClientSecretFile string `json:"client_secret_file"`
	// RedirectURL is the console's callback as the browser reaches it,
	// to register at the provider: the console's address with the path
	// /oidc/callback. Required.
	RedirectURL string `json:"redirect_url"`
	// Scopes are asked for besides openid, email and profile: groups,
	// for a provider that sends the groups claim only when asked.
	Scopes []string `json:"scopes"`
	// Claim is the ID token claim whose values the grants name: a string
	// or a list of strings. Default groups.
	Claim string `json:"claim"`
	// Grants map values of the claim to a role and scopes. They are
	// tried in order and the first whose value the user holds applies;
	// a user who holds none is refused. At least one.
	Grants []OIDCGrant `json:"grants"`

	// ClientSecret is the secret read from ClientSecretEnv or
	// ClientSecretFile by ParseOIDCConfig.
	ClientSecret store.Secret `json:"-"`
	// HTTPClient reaches the provider; default a client with a 30s
	// timeout.
	HTTPClient *http.Client `json:"-"`
}

// OIDCGrant gives the users holding a value of the claim a role, and
// narrows them to scopes as an API token's (none: everything the role
// allows).
type OIDCGrant struct {
	// Value is a value of the claim (a group's name); required.
	Value string `json:"value"`
	// Role is viewer, responder, policy-admin or admin; required.
	Role string `json:"role"`
	// PrincipalKinds limits the users to principals of these kinds.
	PrincipalKinds []store.PrincipalKind `json:"principal_kinds"`
	// Providers limits the users to sessions and credentials of these
	// providers.
	Providers []string `json:"providers"`
}

// ParseOIDCConfig reads the console.oidc section of a run config
// document: nil when there is none. The client secret is read from the
// variable (through getenv) or the file the section names. An error
// names the key, as console.oidc.KEY.
func ParseOIDCConfig(data []byte, getenv func(string) string) (*OIDCConfig, error) {
	js, err := configdoc.ToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	var doc struct {
		Console json.RawMessage `json:"console"`
	}
	if err := json.Unmarshal(js, &doc); err != nil || isNull(doc.Console) {
		return nil, nil // not a mapping: the connectors section says so
	}
	var section struct {
		OIDC json.RawMessage `json:"oidc"`
	}
	if err := strictJSON(doc.Console, &section); err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	if isNull(section.OIDC) {
		return nil, nil
	}
	var cfg OIDCConfig
	if err := strictJSON(section.OIDC, &cfg); err != nil {
		return nil, fmt.Errorf("console.oidc: %w", err)
	}
	if cfg.ClientSecret, err = cfg.readSecret(getenv); err != nil {
		return nil, err
	}
	return &cfg, cfg.Validate()
}

func isNull(b json.RawMessage) bool {
	return len(b) == 0 || string(b) == "null"
}

// strictJSON decodes b into v, refusing keys v does not have: a
// misspelt key must not pass unnoticed.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// readSecret reads the client secret from where the section says.
func (c OIDCConfig) readSecret(getenv func(string) string) (store.Secret, error) {
	switch {
	case c.ClientSecretEnv != "" && c.ClientSecretFile != "":
		return "", errors.New("console.oidc: client_secret_env and " +
			"client_secret_file: give one, not both")
	case c.ClientSecretEnv != "":
		v := getenv(c.ClientSecretEnv)
		if v == "" {
			return "", fmt.Errorf("console.oidc.client_secret_env: "+
				"$%s is not set or empty", c.ClientSecretEnv)
		}
		return store.Secret(v), nil
	case c.ClientSecretFile != "":
		b, err := os.ReadFile(c.ClientSecretFile)
		if err != nil {
			return "", fmt.Errorf("console.oidc.client_secret_file: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("console.oidc.client_secret_file: %s "+
				"is empty", c.ClientSecretFile)
		}
		return store.Secret(v), nil
	}
	return "", nil
}

// roles are the roles a grant may give, lowest first.
var roles = []string{RoleViewer, RoleResponder, RolePolicyAdmin, RoleAdmin}

// Validate names the first key of the section that is wrong, as
// console.oidc.KEY.
func (c OIDCConfig) Validate() error {
	if err := checkURL("issuer", c.Issuer); err != nil {
		return err
	}
	if strings.TrimSpace(c.ClientID) == "" {
		return errors.New("console.oidc.client_id: required")
	}
	if err := checkURL("redirect_url", c.RedirectURL); err != nil {
		return err
	}
	if u, _ := url.Parse(c.RedirectURL); u.Path != OIDCCallbackPath {
		return fmt.Errorf("console.oidc.redirect_url: %q: the path must "+
			"be %s, where the console takes the provider's answer",
			c.RedirectURL, OIDCCallbackPath)
	}
	if len(c.Grants) == 0 {
		return errors.New("console.oidc.grants: at least one is required " +
			"(a value of the claim and the role it gives)")
	}
	for i, g := range c.Grants {
		if err := g.validate(); err != nil {
			return fmt.Errorf("console.oidc.grants[%d].%w", i, err)
		}
	}
	return nil
}

// checkURL refuses a value of key that is not an absolute http(s) URL.
func checkURL(key, v string) error {
	if v == "" {
		return fmt.Errorf("console.oidc.%s: required", key)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") ||
		u.Host == "" {
		return fmt.Errorf("console.oidc.%s: %q is not an http(s) URL",
			key, v)
	}
	return nil
}

func (g OIDCGrant) validate() error {
	if g.Value == "" {
		return errors.New("value: required")
	}
	if !slices.Contains(roles, g.Role) {
		return fmt.Errorf("role: %q is not a role (%s)", g.Role,
			strings.Join(roles, ", "))
	}
	for _, k := range g.PrincipalKinds {
		if !k.Valid() {
			return fmt.Errorf("principal_kinds: %q is not a principal "+
				"kind", k)
		}
	}
	return nil
}
