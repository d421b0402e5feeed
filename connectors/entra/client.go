package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// The alias types the connector reads.
var (
	userAliases = []string{"entra_object_id", "entra_upn", "upn", "email"}
	spAliases   = []string{"entra_sp_id"}
)

// Connector revokes at one Entra tenant.
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
		RequestIDHeaders: []string{"Request-Id", "Client-Request-Id"}}
	api, err := restclient.New(name, cfg.HTTP, cfg.auth(), log)
	if err != nil {
		return nil, err
	}
	return &Connector{provider: provider, cfg: cfg, api: api}, nil
}

// Provider is the provider name sessions and credentials carry.
func (c *Connector) Provider() string { return c.provider }

// Revoke carries out req in Entra:
//
//   - revoke_session: reads the user; a guest goes to GuestSessions; a
//     session created before the user's signInSessionsValidFromDateTime
//     is already cut; else POST /users/{id}/revokeSignInSessions (any
//     2xx; the cut is eventual, so Verify says Requested).
//   - revoke_credential, kind client_secret: removes the password
//     credential whose keyId is ExternalID ("spId/keyId", or keyId with
//     an entra_sp_id alias), reading the list first and again on a
//     refusal, so that a secret already gone is AlreadyDone.
//   - disable_principal: PATCH accountEnabled false on the user, or on
//     the service principal when the principal has an entra_sp_id alias.
func (c *Connector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	switch req.Op {
	case connectors.OpRevokeSession:
		return c.revokeSessions(ctx, req)
	case connectors.OpRevokeCredential:
		return c.removeSecret(ctx, req)
	case connectors.OpDisablePrincipal:
		return c.disable(ctx, req)
	}
	return connectors.Unsupportedf("entra: operation %q", req.Op)
}

// user is the part of Graph's user the connector reads.
type user struct {
	ID                string    `json:"id"`
	UPN               string    `json:"userPrincipalName"`
	UserType          string    `json:"userType"`
	AccountEnabled    bool      `json:"accountEnabled"`
	SessionsValidFrom time.Time `json:"signInSessionsValidFromDateTime"`
}

func (u user) guest() bool {
	return u.UserType == "Guest" || strings.Contains(u.UPN, "#EXT#")
}

const userSelect = "id,userPrincipalName,userType,accountEnabled," +
	"signInSessionsValidFromDateTime"

func (c *Connector) revokeSessions(ctx context.Context, req connectors.Request) connectors.Result {
	u, res, ok := c.user(ctx, req)
	if !ok {
		return res
	}
	if u.guest() {
		return c.guestSession(ctx, u)
	}
	if s := req.Session; s != nil && !s.CreatedAt.IsZero() &&
		!u.SessionsValidFrom.IsZero() && !s.CreatedAt.After(u.SessionsValidFrom) {
		return connectors.Result{Outcome: connectors.AlreadyDone}
	}
	resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodPost,
		Path: "/users/" + seg(u.ID) + "/revokeSignInSessions", Idempotent: true})
	return c.api.Result(resp, err)
}

// guestSession disables a guest in this tenant: revoking its sessions
// here would succeed and change nothing.
func (c *Connector) guestSession(ctx context.Context, u user) connectors.Result {
	if c.cfg.GuestSessions != "disable" {
		return connectors.Unsupportedf("entra: %s is a guest; its sessions "+
			"live in its home tenant (guest_sessions: unsupported)", u.ID)
	}
	return c.disableUser(ctx, u)
}

func (c *Connector) disable(ctx context.Context, req connectors.Request) connectors.Result {
	if sp, ok := req.Alias(spAliases...); ok {
		return c.patchEnabled(ctx, "/servicePrincipals/"+seg(sp))
	}
	u, res, ok := c.user(ctx, req)
	if !ok {
		return res
	}
	return c.disableUser(ctx, u)
}

func (c *Connector) disableUser(ctx context.Context, u user) connectors.Result {
	if !u.AccountEnabled {
		return connectors.Result{Outcome: connectors.AlreadyDone}
	}
	return c.patchEnabled(ctx, "/users/"+seg(u.ID))
}

func (c *Connector) patchEnabled(ctx context.Context, path string) connectors.Result {
	resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodPatch,
		Path: path, Body: []byte(`{"accountEnabled":false}`), Idempotent: true})
	if err == nil && resp.Status == http.StatusNotFound {
		return notFound(c.api.Result(resp, err), path)
	}
	return c.api.Result(resp, err)
}

// user reads the principal's user, by object id or UPN.
func (c *Connector) user(ctx context.Context, req connectors.Request) (user, connectors.Result, bool) {
	key, ok := req.Alias(userAliases...)
	if !ok {
		return user{}, connectors.Unsupportedf("entra: principal %s has no "+
			"entra_object_id, entra_upn, upn or email alias", req.Principal.ID), false
	}
	var u user
	path := "/users/" + seg(key)
	resp, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: path, Query: url.Values{"$select": {userSelect}}}, &u)
	if err == nil {
		return u, connectors.Result{}, true
	}
	res := c.api.Result(resp, err)
	if resp != nil && resp.Status == http.StatusNotFound {
		res = notFound(res, path)
	}
	return user{}, res, false
}

// notFound: a 404 on a principal means a wrong alias, not a revocation.
func notFound(res connectors.Result, path string) connectors.Result {
	res.Outcome = connectors.Permanent
	res.Err = fmt.Errorf("entra: %s %w: %w", path, errGone, res.Err)
	return res
}

// errGone marks a failure as Graph's 404: the object does not exist.
var errGone = errors.New("not found")

func seg(s string) string { return url.PathEscape(s) }

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
