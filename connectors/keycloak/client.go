package keycloak

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Connector revokes in one Keycloak realm.
type Connector struct {
	provider string
	admin    string // path of the realm's admin API
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
	return &Connector{provider: provider, api: api,
		admin: cfg.PathPrefix + "/admin/realms/" + seg(cfg.Realm)}, nil
}

// Provider is the provider name sessions and credentials carry.
func (c *Connector) Provider() string { return c.provider }

// Revoke carries out req in Keycloak:
//
//   - revoke_session with the session id as ExternalID: DELETE
//     /sessions/{id}, and with isOffline=true too when RevokeTokens (the
//     offline session shares the id). Without an id: POST
//     /users/{id}/logout, then (when RevokeTokens) DELETE each consent
//     that holds offline tokens, which logout leaves alive.
//   - revoke_credential, kind offline_token or consent, ExternalID the
//     clientId: DELETE /users/{id}/consents/{clientId}.
//   - disable_principal: reads the user, then PUT enabled false unless
//     already disabled. Existing sessions survive a disable: revoke them
//     too.
func (c *Connector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	switch req.Op {
	case connectors.OpRevokeSession:
		if req.Session != nil && req.Session.ExternalID != "" {
			return c.deleteSession(ctx, req.Session.ExternalID, req.RevokeTokens)
		}
		return c.logout(ctx, req)
	case connectors.OpRevokeCredential:
		return c.revokeConsent(ctx, req)
	case connectors.OpDisablePrincipal:
		return c.disable(ctx, req)
	}
	return connectors.Unsupportedf("keycloak: operation %q", req.Op)
}

// deleteSession deletes the online session and, when asked, the offline
// one of the same id; either one gone is enough for success.
func (c *Connector) deleteSession(ctx context.Context, id string, offline bool) connectors.Result {
	res := c.call(ctx, http.MethodDelete, "/sessions/"+seg(id), nil, nil)
	if !offline || (!res.Succeeded() && res.Outcome != connectors.Permanent) {
		return res
	}
	off := c.call(ctx, http.MethodDelete, "/sessions/"+seg(id),
		url.Values{"isOffline": {"true"}}, nil)
	return merge(res, off)
}

// merge combines two calls for one revocation: done if either did it,
// already done if both found nothing, else the first failure.
func merge(a, b connectors.Result) connectors.Result {
	switch {
	case !a.Succeeded():
		return a
	case !b.Succeeded():
		return b
	case a.Outcome == connectors.Done:
		return a
	}
	return b
}

func (c *Connector) logout(ctx context.Context, req connectors.Request) connectors.Result {
	u, res, ok := c.user(ctx, req)
	if !ok {
		return res
	}
	res = c.userCall(ctx, http.MethodPost, "/users/"+seg(u.ID)+"/logout", nil)
	if !res.Succeeded() || !req.RevokeTokens {
		return res
	}
	consents, err := c.consents(ctx, u.ID)
	if err != nil {
		return c.api.Result(nil, err)
	}
	for _, cs := range consents {
		if !cs.offline() {
			continue
		}
		r := c.call(ctx, http.MethodDelete, "/users/"+seg(u.ID)+"/consents/"+
			seg(cs.ClientID), nil, nil)
		if !r.Succeeded() {
			return r
		}
	}
	return res
}

func (c *Connector) revokeConsent(ctx context.Context, req connectors.Request) connectors.Result {
	cr := req.Credential
	if cr == nil || (cr.Kind != "offline_token" && cr.Kind != "consent") ||
		cr.ExternalID == "" {
		return connectors.Unsupportedf("keycloak: only offline_token and " +
			"consent credentials (ExternalID the clientId) can be revoked")
	}
	u, res, ok := c.user(ctx, req)
	if !ok {
		return res
	}
	return c.call(ctx, http.MethodDelete, "/users/"+seg(u.ID)+"/consents/"+
		seg(cr.ExternalID), nil, nil)
}

func (c *Connector) disable(ctx context.Context, req connectors.Request) connectors.Result {
	u, res, ok := c.user(ctx, req)
	if !ok {
		return res
	}
	if !u.Enabled {
		return connectors.Result{Outcome: connectors.AlreadyDone}
	}
	return c.userCall(ctx, http.MethodPut, "/users/"+seg(u.ID),
		[]byte(`{"enabled":false}`))
}

func (c *Connector) call(ctx context.Context, method, path string,
	q url.Values, body []byte) connectors.Result {
	resp, err := c.api.Do(ctx, restclient.Request{Method: method,
		Path: c.admin + path, Query: q, Body: body, Idempotent: true})
	return c.api.Result(resp, err)
}

// userCall calls a path of a user: a 404 there is an unknown user.
func (c *Connector) userCall(ctx context.Context, method, path string, body []byte) connectors.Result {
	res := c.call(ctx, method, path, nil, body)
	if res.Outcome == connectors.AlreadyDone {
		res.Outcome = connectors.Permanent
		res.Err = fmt.Errorf("keycloak: user not found: %w", res.Err)
	}
	return res
}

func seg(s string) string { return url.PathEscape(s) }
