package auth0

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Connector revokes at one Auth0 tenant.
type Connector struct {
	provider string
	api      *restclient.Client
}

// New builds the connector named name serving provider.
func New(name, provider string, cfg Config, log *slog.Logger) (*Connector, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	api, err := restclient.New(name, cfg.HTTP, cfg.auth(), log)
	if err != nil {
		return nil, err
	}
	return &Connector{provider: provider, api: api}, nil
}

// Provider is the provider name sessions and credentials carry.
func (c *Connector) Provider() string { return c.provider }

// Revoke carries out req at Auth0:
//
//   - revoke_session with the session id as ExternalID: POST
//     /api/v2/sessions/{id}/revoke (the session and its refresh tokens)
//     when RevokeTokens, else DELETE /api/v2/sessions/{id}. Without an
//     id: DELETE /api/v2/users/{id}/sessions and, when RevokeTokens,
//     DELETE /api/v2/users/{id}/refresh-tokens.
//   - revoke_credential, kind refresh_token: DELETE
//     /api/v2/refresh-tokens/{ExternalID}.
//   - disable_principal: reads the user, then PATCH blocked true unless
//     already blocked.
//
// 202 counts as done: Auth0 accepted and will carry it out.
func (c *Connector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	switch req.Op {
	case connectors.OpRevokeSession:
		return c.revokeSession(ctx, req)
	case connectors.OpRevokeCredential:
		cr := req.Credential
		if cr == nil || cr.Kind != "refresh_token" || cr.ExternalID == "" {
			return connectors.Unsupportedf("auth0: only refresh_token " +
				"credentials with an external id can be revoked")
		}
		return c.call(ctx, http.MethodDelete, "/api/v2/refresh-tokens/"+seg(cr.ExternalID), nil)
	case connectors.OpDisablePrincipal:
		return c.block(ctx, req)
	}
	return connectors.Unsupportedf("auth0: operation %q", req.Op)
}

func (c *Connector) revokeSession(ctx context.Context, req connectors.Request) connectors.Result {
	if s := req.Session; s != nil && s.ExternalID != "" {
		if req.RevokeTokens {
			return c.call(ctx, http.MethodPost, "/api/v2/sessions/"+seg(s.ExternalID)+"/revoke", nil)
		}
		return c.call(ctx, http.MethodDelete, "/api/v2/sessions/"+seg(s.ExternalID), nil)
	}
	u, res, ok := c.user(ctx, req)
	if !ok {
		return res
	}
	res = userCall(c.call(ctx, http.MethodDelete, "/api/v2/users/"+seg(u.ID)+"/sessions", nil))
	if !res.Succeeded() || !req.RevokeTokens {
		return res
	}
	return userCall(c.call(ctx, http.MethodDelete, "/api/v2/users/"+seg(u.ID)+"/refresh-tokens", nil))
}

func (c *Connector) block(ctx context.Context, req connectors.Request) connectors.Result {
	u, res, ok := c.user(ctx, req)
	if !ok {
		return res
	}
	if u.Blocked {
		return connectors.Result{Outcome: connectors.AlreadyDone}
	}
	return userCall(c.call(ctx, http.MethodPatch, "/api/v2/users/"+seg(u.ID),
		[]byte(`{"blocked":true}`)))
}

func (c *Connector) call(ctx context.Context, method, path string, body []byte) connectors.Result {
	resp, err := c.api.Do(ctx, restclient.Request{Method: method, Path: path,
		Body: body, Idempotent: true})
	return c.api.Result(resp, err)
}

// userCall: a 404 under a user is an unknown user, not a revocation.
func userCall(res connectors.Result) connectors.Result {
	if res.Outcome == connectors.AlreadyDone && res.Err != nil {
		res.Outcome = connectors.Permanent
		res.Err = fmt.Errorf("auth0: user not found: %w", res.Err)
	}
	return res
}

func seg(s string) string { return url.PathEscape(s) }
