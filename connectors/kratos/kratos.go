// Package kratos is the connector for Ory Kratos, through its admin API:
// it disables one session, deletes every session of an identity, sets an
// identity inactive, lists an identity's sessions for the inventory sync,
// and verifies that a revoked session is no longer active.
//
// Kratos sessions are server-side: Kratos checks each one on every use,
// so a revocation takes effect at once (store.EffectImmediate).
package kratos

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Connector revokes at one Kratos instance.
type Connector struct {
	name, provider string
	cfg            Config
	http           *restclient.Client
}

// New builds the connector named name (in logs, errors and its breaker)
// serving provider; log may be nil.
func New(name, provider string, cfg Config, log *slog.Logger) (*Connector, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c, err := restclient.New(name, cfg.HTTP, cfg.auth(), log)
	if err != nil {
		return nil, err
	}
	return &Connector{name: name, provider: provider, cfg: cfg, http: c}, nil
}

// Provider is the name this instance's sessions carry.
func (c *Connector) Provider() string { return c.provider }

// Revoke disables a session (by its external id), deletes every session
// of the principal's identity (a session with no external id), or sets
// the identity inactive and deletes its sessions.
func (c *Connector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	switch req.Op {
	case connectors.OpRevokeSession:
		if req.Session != nil && req.Session.ExternalID != "" {
			return c.disableSession(ctx, req.Session.ExternalID)
		}
		return c.withIdentity(ctx, req, c.deleteSessions)
	case connectors.OpDisablePrincipal:
		return c.withIdentity(ctx, req, c.deactivate)
	}
	return connectors.Result{Outcome: connectors.Unsupported,
		Err: fmt.Errorf("%s: %s is not supported", c.name, req.Op)}
}

// disableSession sets one session inactive. Kratos answers 204 for a
// session already inactive and 404 for one deleted.
func (c *Connector) disableSession(ctx context.Context, id string) connectors.Result {
	resp, err := c.http.Do(ctx, restclient.Request{Method: http.MethodDelete,
		Path: "/admin/sessions/" + url.PathEscape(id)})
	return c.http.Result(resp, err)
}

// withIdentity finds the principal's identity and acts on it.
func (c *Connector) withIdentity(ctx context.Context, req connectors.Request,
	act func(context.Context, string) connectors.Result) connectors.Result {
	id, res := c.identityOf(ctx, req.Aliases)
	if id == "" {
		return res
	}
	return act(ctx, id)
}

// deleteSessions deletes every session of an identity. Kratos answers
// 404 both when there is none left and when the identity is unknown, so
// a 404 counts as done only once the identity is found to exist.
func (c *Connector) deleteSessions(ctx context.Context, id string) connectors.Result {
	resp, err := c.http.Do(ctx, restclient.Request{Method: http.MethodDelete,
		Path: "/admin/identities/" + url.PathEscape(id) + "/sessions"})
	res := c.http.Result(resp, err)
	if res.Outcome != connectors.AlreadyDone {
		return res
	}
	if _, err := c.identity(ctx, id); err != nil {
		return classifyLookup(c.http, err)
	}
	return res
}

// deactivate sets the identity inactive, unless it is already, and
// deletes its sessions.
func (c *Connector) deactivate(ctx context.Context, id string) connectors.Result {
	ident, err := c.identity(ctx, id)
	if err != nil {
		return classifyLookup(c.http, err)
	}
	first := connectors.Result{Outcome: connectors.AlreadyDone}
	if ident.State != stateInactive {
		first = c.setInactive(ctx, id)
		if !first.Succeeded() {
			return first
		}
	}
	if res := c.deleteSessions(ctx, id); !res.Succeeded() {
		return res
	}
	return first
}

// setInactive patches the identity's state.
func (c *Connector) setInactive(ctx context.Context, id string) connectors.Result {
	patch := []byte(`[{"op":"replace","path":"/state","value":"inactive"}]`)
	resp, err := c.http.Do(ctx, restclient.Request{Method: http.MethodPatch,
		Path: "/admin/identities/" + url.PathEscape(id), Body: patch,
		Idempotent: true})
	return c.http.Result(resp, err)
}
