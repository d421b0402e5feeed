package google

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// Connector revokes in one Workspace domain.
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

// Revoke carries out req in Workspace:
//
//   - revoke_session: POST /users/{key}/signOut (Google cannot end one
//     session), then, when RevokeTokens, DELETE /users/{key}/tokens/{id}
//     for every client the user granted.
//   - revoke_credential by kind: "oauth_token" (ExternalID the clientId)
//     or "app_password" (ExternalID the codeId).
//   - disable_principal: reads the user, then PATCH suspended true
//     unless already suspended.
func (c *Connector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	key, ok := req.Alias("google_user_id", "google_email", "email")
	if !ok {
		return connectors.Unsupportedf("google: principal %s has no "+
			"google_user_id, google_email or email alias", req.Principal.ID)
	}
	base := "/users/" + seg(key)
	switch req.Op {
	case connectors.OpRevokeSession:
		return c.signOut(ctx, base, req.RevokeTokens)
	case connectors.OpRevokeCredential:
		return c.revokeCredential(ctx, base, req.Credential)
	case connectors.OpDisablePrincipal:
		return c.suspend(ctx, base)
	}
	return connectors.Unsupportedf("google: operation %q", req.Op)
}

func (c *Connector) signOut(ctx context.Context, base string, tokens bool) connectors.Result {
	res := userCall(c.call(ctx, http.MethodPost, base+"/signOut", nil))
	if !res.Succeeded() || !tokens {
		return res
	}
	list, err := c.tokens(ctx, base)
	if err != nil {
		return c.api.Result(nil, err)
	}
	for _, t := range list {
		r := c.call(ctx, http.MethodDelete, base+"/tokens/"+seg(t.ClientID), nil)
		if !r.Succeeded() {
			return r
		}
	}
	return res
}

func (c *Connector) revokeCredential(ctx context.Context, base string,
	cr *store.Credential) connectors.Result {
	if cr == nil || cr.ExternalID == "" {
		return connectors.Unsupportedf("google: credential without an external id")
	}
	switch cr.Kind {
	case "oauth_token":
		return c.call(ctx, http.MethodDelete, base+"/tokens/"+seg(cr.ExternalID), nil)
	case "app_password":
		return c.call(ctx, http.MethodDelete, base+"/asps/"+seg(cr.ExternalID), nil)
	}
	return connectors.Unsupportedf("google: credential kind %q (want "+
		"oauth_token or app_password)", cr.Kind)
}

func (c *Connector) suspend(ctx context.Context, base string) connectors.Result {
	var u struct {
		Suspended bool `json:"suspended"`
	}
	resp, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: base, Query: url.Values{"fields": {"suspended"}}}, &u)
	if err != nil {
		return userCall(c.api.Result(resp, err))
	}
	if u.Suspended {
		return connectors.Result{Outcome: connectors.AlreadyDone}
	}
	return userCall(c.call(ctx, http.MethodPatch, base, []byte(`{"suspended":true}`)))
}

func (c *Connector) call(ctx context.Context, method, path string, body []byte) connectors.Result {
	resp, err := c.api.Do(ctx, restclient.Request{Method: method, Path: path,
		Body: body, Idempotent: true})
	return c.api.Result(resp, err)
}

// userCall: a 404 on the user itself is an unknown user.
func userCall(res connectors.Result) connectors.Result {
	if res.Outcome == connectors.AlreadyDone && res.Err != nil {
		res.Outcome = connectors.Permanent
		res.Err = fmt.Errorf("google: user not found: %w", res.Err)
	}
	return res
}

func seg(s string) string { return url.PathEscape(s) }
