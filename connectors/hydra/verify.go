package hydra

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Verify looks whether a revocation took effect: the subject no longer
// has a grant to the client, or none at all. Hydra cannot list tokens,
// so a client's token revocation is requested, not confirmed; and with
// JWT access tokens a revoked grant's access tokens live until exp.
func (c *Connector) Verify(ctx context.Context, req connectors.Request) connectors.Verification {
	sub := c.subject(req.Aliases)
	if req.Op == connectors.OpRevokeCredential || sub == "" {
		return check(connectors.Requested, "Hydra lists no tokens to look at")
	}
	gs, err := c.grants(ctx, sub)
	if err != nil {
		return check(connectors.Requested, "could not look: "+err.Error())
	}
	client := ""
	if req.Op == connectors.OpRevokeSession && req.Session != nil {
		client = req.Session.ExternalID
	}
	if left := granted(gs, client); len(left) > 0 {
		return check(connectors.Failed, fmt.Sprintf(
			"the subject still has grants to %s", strings.Join(left, ", ")))
	}
	return c.gone(client)
}

// granted lists the clients of gs, or only client when it is set.
func granted(gs []grant, client string) []string {
	var out []string
	for _, g := range gs {
		if id := g.Request.Client.ID; client == "" || id == client {
			out = append(out, id)
		}
	}
	return out
}

// gone is the verification of grants no longer listed.
func (c *Connector) gone(client string) connectors.Verification {
	what := "the subject has no grant left"
	if client != "" {
		what = "the subject has no grant to " + client
	}
	if c.cfg.AccessTokens == "jwt" {
		return check(connectors.Requested, what+"; its JWT access tokens "+
			"stay valid to a signature check until they expire")
	}
	return check(connectors.Confirmed, what)
}

func check(c connectors.Check, evidence string) connectors.Verification {
	return connectors.Verification{Check: c, Evidence: evidence}
}

// introspection is Hydra's RFC 7662 answer.
type introspection struct {
	Active  bool   `json:"active"`
	Exp     int64  `json:"exp"`
	Subject string `json:"sub"`
}

// Validate asks Hydra, through RFC 7662 introspection on the admin API,
// whether a token is active, without using it.
func (c *Connector) Validate(ctx context.Context, secret string) (connectors.Validity, error) {
	tok := restclient.NewSecret(secret)
	form := url.Values{"token": {secret}}.Encode()
	var out introspection
	_, err := c.http.GetJSON(ctx, restclient.Request{Method: http.MethodPost,
		Path: "/admin/oauth2/introspect", Body: []byte(form),
		Header: http.Header{"Content-Type": {
			"application/x-www-form-urlencoded"}},
		Idempotent: true, Secrets: []restclient.Secret{tok}}, &out)
	if err != nil {
		return connectors.Validity{}, fmt.Errorf("introspect: %w", err)
	}
	v := connectors.Validity{Active: out.Active, Subject: out.Subject}
	if out.Exp > 0 {
		v.ExpiresAt = time.Unix(out.Exp, 0).UTC()
	}
	return v, nil
}
