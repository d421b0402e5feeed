// Package vault is the connector for HashiCorp Vault and OpenBao, which
// share these HTTP paths. It revokes a token by its accessor (and with it
// every child token the token created), one lease, or every lease under
// a login path; it looks tokens up by accessor for the inventory sync and
// to verify a revocation, and validates a token by looking it up.
//
// The credentials it acts on, by kind: vault_token (ExternalID is the
// token's accessor; killswitch never holds the token itself),
// vault_lease (the lease id) and vault_lease_prefix (a prefix under a
// login path, such as auth/ldap/login/alice).
//
// Vault and its forks word their errors differently, so answers are
// classified by status alone: a lookup's 400 or 403 means the token is
// gone.
package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// The credential kinds this connector revokes.
const (
	KindToken       = "vault_token"
	KindLease       = "vault_lease"
	KindLeasePrefix = "vault_lease_prefix"
)

// Connector revokes at one Vault server.
type Connector struct {
	name, provider string
	cfg            Config
	http           *restclient.Client
}

// New builds the connector named name serving provider; log may be nil.
func New(name, provider string, cfg Config, log *slog.Logger) (*Connector, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c, err := restclient.New(name, cfg.HTTP,
		restclient.Header("X-Vault-Token", cfg.Token), log)
	if err != nil {
		return nil, err
	}
	return &Connector{name: name, provider: provider, cfg: cfg, http: c}, nil
}

// Provider is the name this server's credentials carry.
func (c *Connector) Provider() string { return c.provider }

// Revoke revokes a token by accessor, a lease, or a lease prefix.
func (c *Connector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	cred := req.Credential
	if req.Op != connectors.OpRevokeCredential || cred == nil ||
		cred.ExternalID == "" {
		return c.unsupported("only credentials with an external id are revoked")
	}
	switch cred.Kind {
	case KindToken:
		return c.revokeAccessor(ctx, cred.ExternalID)
	case KindLease:
		return c.write(ctx, "/v1/sys/leases/revoke",
			map[string]any{"lease_id": cred.ExternalID, "sync": true})
	case KindLeasePrefix:
		return c.revokePrefix(ctx, cred.ExternalID)
	}
	return c.unsupported("credential kind %q is not %s, %s or %s",
		cred.Kind, KindToken, KindLease, KindLeasePrefix)
}

// revokeAccessor revokes the token and its children. Vault answers 400
// for an unknown accessor, as for other refusals: a lookup tells them
// apart.
func (c *Connector) revokeAccessor(ctx context.Context, accessor string) connectors.Result {
	res := c.write(ctx, "/v1/auth/token/revoke-accessor",
		map[string]any{"accessor": accessor})
	if res.Outcome != connectors.Permanent {
		return res
	}
	_, err := c.lookupAccessor(ctx, accessor)
	if gone(err) {
		return connectors.Result{Outcome: connectors.AlreadyDone}
	}
	return res
}

// revokePrefix revokes every lease under a login path, and refuses any
// other prefix: one as wide as auth/token/create would revoke every token
// created through it, the root token's children included.
func (c *Connector) revokePrefix(ctx context.Context, prefix string) connectors.Result {
	if err := LoginPrefix(prefix); err != nil {
		return connectors.Result{Outcome: connectors.Permanent,
			Err: fmt.Errorf("%s: refuse to revoke prefix: %w", c.name, err)}
	}
	return c.write(ctx, "/v1/sys/leases/revoke-prefix/"+escapePath(prefix),
		map[string]any{"sync": true})
}

// LoginPrefix checks that prefix lies under the login path of an auth
// method other than the token store: auth/<mount>/login[/...].
func LoginPrefix(prefix string) error {
	parts := strings.Split(strings.Trim(prefix, "/"), "/")
	switch {
	case len(parts) < 3 || parts[0] != "auth" || parts[2] != "login":
		return fmt.Errorf("%q is not under auth/<mount>/login", prefix)
	case parts[1] == "token":
		return fmt.Errorf("%q is in the token store, as wide as "+
			"auth/token/create", prefix)
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return fmt.Errorf("%q has an empty or relative segment", prefix)
		}
	}
	return nil
}

// write sends a JSON body with PUT, which Vault treats as POST, and
// classifies the answer.
func (c *Connector) write(ctx context.Context, path string, body any) connectors.Result {
	b, err := json.Marshal(body)
	if err != nil {
		return connectors.Result{Outcome: connectors.Permanent, Err: err}
	}
	resp, err := c.http.Do(ctx, restclient.Request{Method: http.MethodPut,
		Path: path, Body: b, Header: c.cfg.header()})
	return c.http.Result(resp, err)
}

func escapePath(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

func (c *Connector) unsupported(format string, args ...any) connectors.Result {
	return connectors.Result{Outcome: connectors.Unsupported,
		Err: fmt.Errorf("%s: "+format, append([]any{c.name}, args...)...)}
}
