package github

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Connector revokes exposed tokens at one GitHub.
type Connector struct {
	provider string
	cfg      Config
	api      *restclient.Client // authenticated: alerts
	revoker  *restclient.Client // the credential revocation call
}

// dialect sends GitHub's API version with every call.
var headers = http.Header{"Accept": {"application/vnd.github+json"},
	"X-Github-Api-Version": {"2022-11-28"}}

// New builds the connector named name serving provider.
func New(name, provider string, cfg Config, log *slog.Logger) (*Connector, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.HTTP.Dialect = restclient.Dialect{RequestIDHeaders: []string{"X-Github-Request-Id"}}
	api, err := restclient.New(name, cfg.HTTP, restclient.Bearer(cfg.Token), log)
	if err != nil {
		return nil, err
	}
	auth := restclient.None()
	if cfg.RevokeAuthenticated {
		auth = restclient.Bearer(cfg.Token)
	}
	revoker, err := restclient.New(name+"-revoke", cfg.HTTP, auth, log)
	if err != nil {
		return nil, err
	}
	return &Connector{provider: provider, cfg: cfg, api: api, revoker: revoker}, nil
}

// Provider is the provider name credentials carry.
func (c *Connector) Provider() string { return c.provider }

// Revoke revokes an exposed token (revoke_credential): finds its secret
// scanning alert, revokes the token with POST /credentials/revoke, then
// resolves the alert as revoked. An alert already resolved as revoked is
// AlreadyDone.
func (c *Connector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	switch req.Op {
	case connectors.OpRevokeCredential:
		return c.revokeExposed(ctx, req)
	case connectors.OpRevokeSession:
		return connectors.Unsupportedf("github: no API ends a user's sessions")
	}
	return connectors.Unsupportedf("github: operation %q", req.Op)
}

func (c *Connector) revokeExposed(ctx context.Context, req connectors.Request) connectors.Result {
	a, res, ok := c.findAlert(ctx, req.Credential)
	if !ok {
		return res
	}
	if a.State == "resolved" && a.Resolution == "revoked" {
		return connectors.Result{Outcome: connectors.AlreadyDone}
	}
	if !revocable(a.Secret) {
		return connectors.Unsupportedf("github: alert %s holds a %s, which the "+
			"credential revocation API cannot revoke", a.ref(), a.SecretType)
	}
	secret := restclient.NewSecret(a.Secret)
	if res := c.revokeToken(ctx, secret); !res.Succeeded() {
		return res
	}
	return c.resolve(ctx, a, secret)
}

// revocable reports the tokens the API revokes: classic and fine-grained
// personal access tokens.
func revocable(secret string) bool {
	return strings.HasPrefix(secret, "ghp_") || strings.HasPrefix(secret, "github_pat_")
}

func (c *Connector) revokeToken(ctx context.Context, secret restclient.Secret) connectors.Result {
	body, _ := json.Marshal(map[string][]string{"credentials": {secret.Reveal()}})
	resp, err := c.revoker.Do(ctx, restclient.Request{Method: http.MethodPost,
		Path: "/credentials/revoke", Body: body, Header: headers,
		Idempotent: true, Secrets: []restclient.Secret{secret}})
	res := c.revoker.Result(resp, err, secret)
	if res.Outcome == connectors.AlreadyDone {
		// A 404 here is the endpoint missing (an old GHES), not a token.
		res.Outcome = connectors.Unsupported
		res.Err = fmt.Errorf("github: no credential revocation API here: %w", res.Err)
	}
	return res
}

func (c *Connector) resolve(ctx context.Context, a alert, secret restclient.Secret) connectors.Result {
	body, _ := json.Marshal(map[string]string{"state": "resolved",
		"resolution": "revoked", "resolution_comment": c.cfg.ResolutionComment})
	resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodPatch,
		Path: a.path(), Body: body, Header: headers, Idempotent: true,
		Secrets: []restclient.Secret{secret}})
	res := c.api.Result(resp, err, secret)
	if !res.Succeeded() {
		res.Err = fmt.Errorf("github: token revoked, alert %s not resolved: %w",
			a.ref(), res.Err)
	}
	return res
}
