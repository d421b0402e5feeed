// Package hydra is the connector for Ory Hydra, the OAuth 2.0 and OpenID
// Connect server, through its admin API. Hydra has no user accounts: a
// principal is an OAuth subject, and what it holds are grants, one per
// client it consented to, each backing access and refresh tokens.
//
// A registry session of this provider is one grant: its ExternalID is
// the client id. Revoking it revokes the subject's consent to that
// client, which deletes the grant's tokens; revoking a session with no
// ExternalID revokes every consent and the login sessions of the
// subject. A credential of kind oauth_client (ExternalID the client id)
// is revoked by deleting every access token of the client.
package hydra

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

// Connector revokes at one Hydra instance.
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

// Provider is the name this instance's sessions and credentials carry.
func (c *Connector) Provider() string { return c.provider }

// Revoke revokes a grant, every grant and login session of a subject,
// or every access token of a client.
func (c *Connector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	if req.Op == connectors.OpRevokeCredential {
		return c.revokeClientTokens(ctx, req.Credential)
	}
	if req.Op != connectors.OpRevokeSession && req.Op != connectors.OpDisablePrincipal {
		return c.unsupported("%s is not supported", req.Op)
	}
	sub := c.subject(req.Aliases)
	if sub == "" {
		return c.unsupported("no alias of types %v names the OAuth subject",
			c.cfg.SubjectAliases)
	}
	if req.Op == connectors.OpRevokeSession && req.Session != nil &&
		req.Session.ExternalID != "" {
		return c.revokeConsent(ctx, sub, url.Values{
			"client": {req.Session.ExternalID}})
	}
	return c.revokeSubject(ctx, sub)
}

// revokeSubject revokes every consent of the subject, which deletes the
// tokens of each grant, and its login sessions, so that no remembered
// login issues new ones.
func (c *Connector) revokeSubject(ctx context.Context, sub string) connectors.Result {
	res := c.revokeConsent(ctx, sub, url.Values{"all": {"true"}})
	if !res.Succeeded() {
		return res
	}
	resp, err := c.http.Do(ctx, restclient.Request{Method: http.MethodDelete,
		Path:  "/admin/oauth2/auth/sessions/login",
		Query: url.Values{"subject": {sub}}})
	return c.http.Result(resp, err)
}

// revokeConsent revokes the subject's consent to one client or to all.
// Hydra answers 204 whether or not there was one.
func (c *Connector) revokeConsent(ctx context.Context, sub string,
	q url.Values) connectors.Result {
	q.Set("subject", sub)
	resp, err := c.http.Do(ctx, restclient.Request{Method: http.MethodDelete,
		Path: "/admin/oauth2/auth/sessions/consent", Query: q})
	return c.http.Result(resp, err)
}

// revokeClientTokens deletes every access token issued to a client.
func (c *Connector) revokeClientTokens(ctx context.Context,
	cred *store.Credential) connectors.Result {
	if cred == nil || cred.Kind != "oauth_client" || cred.ExternalID == "" {
		return c.unsupported("only credentials of kind oauth_client with " +
			"the client id as external id can be revoked")
	}
	resp, err := c.http.Do(ctx, restclient.Request{Method: http.MethodDelete,
		Path:  "/admin/oauth2/tokens",
		Query: url.Values{"client_id": {cred.ExternalID}}})
	return c.http.Result(resp, err)
}

// subject is the principal's OAuth subject, from the first alias of the
// configured types, or "".
func (c *Connector) subject(aliases []store.Alias) string {
	for _, typ := range c.cfg.SubjectAliases {
		for _, a := range aliases {
			if a.Type == typ && a.Value != "" {
				return a.Value
			}
		}
	}
	return ""
}

func (c *Connector) unsupported(format string, args ...any) connectors.Result {
	return connectors.Result{Outcome: connectors.Unsupported,
		Err: fmt.Errorf("%s: "+format, append([]any{c.name},
			args...)...)}
}
