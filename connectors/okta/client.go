package okta

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Connector revokes at one Okta org.
type Connector struct {
	provider string
	cfg      Config
	api      *restclient.Client
}

// New builds the connector named name serving provider.
func New(name, provider string, cfg Config, log *slog.Logger) (*Connector, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.HTTP.Dialect = restclient.Dialect{
		RequestIDHeaders: []string{"X-Okta-Request-Id"}}
	api, err := restclient.New(name, cfg.HTTP, cfg.auth(), log)
	if err != nil {
		return nil, err
	}
	return &Connector{provider: provider, cfg: cfg, api: api}, nil
}

// Provider is the provider name sessions and credentials carry.
func (c *Connector) Provider() string { return c.provider }

// Revoke carries out req at Okta:
//
//   - revoke_session with the Okta session id as ExternalID: DELETE
//     /api/v1/sessions/{id}. Without one, Okta cannot be asked for the
//     session, so all of the user's sessions are cleared (DELETE
//     /api/v1/users/{id}/sessions, with oauthTokens=true when
//     RevokeTokens): cutting more is safer than cutting nothing.
//   - revoke_credential by Credential.Kind: "oauth_grant" (ExternalID the
//     grant id), "refresh_token" (ExternalID "clientId/tokenId"),
//     "api_token" (ExternalID the token id).
//   - disable_principal: reads the user, then suspends (or deactivates)
//     unless already so.
func (c *Connector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	switch req.Op {
	case connectors.OpRevokeSession:
		return c.revokeSession(ctx, req)
	case connectors.OpRevokeCredential:
		return c.revokeCredential(ctx, req)
	case connectors.OpDisablePrincipal:
		return c.disable(ctx, req)
	}
	return connectors.Unsupportedf("okta: operation %q", req.Op)
}

func (c *Connector) revokeSession(ctx context.Context, req connectors.Request) connectors.Result {
	if req.Session != nil && req.Session.ExternalID != "" {
		return c.delete(ctx, "/api/v1/sessions/"+seg(req.Session.ExternalID), nil)
	}
	uid, res, ok := c.userID(ctx, req)
	if !ok {
		return res
	}
	q := url.Values{}
	if req.RevokeTokens {
		q.Set("oauthTokens", "true")
	}
	return c.userCall(ctx, http.MethodDelete, "/api/v1/users/"+seg(uid)+"/sessions", q)
}

func (c *Connector) revokeCredential(ctx context.Context, req connectors.Request) connectors.Result {
	cr := req.Credential
	if cr == nil || cr.ExternalID == "" {
		return connectors.Unsupportedf("okta: credential without an external id")
	}
	switch cr.Kind {
	case "api_token":
		return c.delete(ctx, "/api/v1/api-tokens/"+seg(cr.ExternalID), nil)
	case "oauth_grant", "refresh_token":
		return c.revokeUserCredential(ctx, req)
	}
	return connectors.Unsupportedf("okta: credential kind %q "+
		"(want oauth_grant, refresh_token or api_token)", cr.Kind)
}

func (c *Connector) revokeUserCredential(ctx context.Context,
	req connectors.Request) connectors.Result {
	uid, res, ok := c.userID(ctx, req)
	if !ok {
		return res
	}
	cr := req.Credential
	if cr.Kind == "oauth_grant" {
		return c.delete(ctx, "/api/v1/users/"+seg(uid)+"/grants/"+seg(cr.ExternalID), nil)
	}
	client, token, found := strings.Cut(cr.ExternalID, "/")
	if !found || client == "" || token == "" {
		return connectors.Unsupportedf("okta: refresh token id %q is not clientId/tokenId",
			cr.ExternalID)
	}
	return c.delete(ctx, "/api/v1/users/"+seg(uid)+"/clients/"+seg(client)+
		"/tokens/"+seg(token), nil)
}

// disable suspends the user, reading it first so that a suspended (or
// deactivated) user counts as already done.
func (c *Connector) disable(ctx context.Context, req connectors.Request) connectors.Result {
	u, res, ok := c.user(ctx, req)
	if !ok {
		return res
	}
	if u.disabled() {
		return connectors.Result{Outcome: connectors.AlreadyDone}
	}
	path := "/api/v1/users/" + seg(u.ID) + "/lifecycle/" + c.cfg.Disable
	resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodPost,
		Path: path, Idempotent: true})
	res = c.api.Result(resp, err)
	if res.Outcome == connectors.Permanent && res.VendorCode == "E0000001" {
		return c.recheck(ctx, req, res)
	}
	return res
}

// recheck reads the user again after Okta refused a lifecycle change as
// invalid: another actor may have suspended it in between.
func (c *Connector) recheck(ctx context.Context, req connectors.Request,
	refused connectors.Result) connectors.Result {
	u, res, ok := c.user(ctx, req)
	if !ok {
		return res
	}
	if u.disabled() {
		return connectors.Result{Outcome: connectors.AlreadyDone}
	}
	return refused
}

func (c *Connector) delete(ctx context.Context, path string, q url.Values) connectors.Result {
	resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodDelete,
		Path: path, Query: q})
	return c.api.Result(resp, err)
}

// userCall calls a path under a user; there a 404 means the user is
// unknown, which is not a revocation that took.
func (c *Connector) userCall(ctx context.Context, method, path string,
	q url.Values) connectors.Result {
	resp, err := c.api.Do(ctx, restclient.Request{Method: method, Path: path,
		Query: q, Idempotent: true})
	if err == nil && resp.Status == http.StatusNotFound {
		return unknownUser(c.api.Result(resp, err))
	}
	return c.api.Result(resp, err)
}

func unknownUser(res connectors.Result) connectors.Result {
	res.Outcome = connectors.Permanent
	res.Err = fmt.Errorf("okta: user not found: %w", res.Err)
	return res
}

func seg(s string) string { return url.PathEscape(s) }
