package okta

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Verify looks at Okta to confirm a revocation: the session, grant,
// refresh token or API token must be gone or revoked, the user suspended
// or deactivated. Clearing all of a user's sessions cannot be observed
// (Okta lists no sessions), so it stays Requested.
func (c *Connector) Verify(ctx context.Context, req connectors.Request) connectors.Verification {
	path, gone := c.probe(ctx, req)
	if path == "" {
		return requested("okta offers no way to look at this revocation")
	}
	var obj struct {
		Status string `json:"status"`
	}
	resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: path})
	if err != nil {
		return requested("look up failed: " + err.Error())
	}
	evidence := fmt.Sprintf("GET %s: status %d", path, resp.Status)
	switch {
	case resp.Status == http.StatusNotFound && req.Op != connectors.OpDisablePrincipal:
		return check(connectors.Confirmed, evidence+", gone")
	case resp.Status != http.StatusOK || resp.JSON(&obj) != nil:
		return requested(evidence)
	case gone(obj.Status):
		return check(connectors.Confirmed, evidence+", "+obj.Status)
	}
	return check(connectors.Failed, evidence+", still "+obj.Status)
}

// probe names what to read to verify req, and which statuses mean it
// took; "" when nothing can be read.
func (c *Connector) probe(ctx context.Context, req connectors.Request) (string, func(string) bool) {
	revoked := func(s string) bool { return s == "REVOKED" }
	switch {
	case req.Op == connectors.OpDisablePrincipal:
		uid, _, ok := c.userID(ctx, req)
		return ifOK(ok, "/api/v1/users/"+seg(uid)), func(s string) bool {
			return user{Status: s}.disabled()
		}
	case req.Op == connectors.OpRevokeSession && req.Session != nil &&
		req.Session.ExternalID != "":
		return "/api/v1/sessions/" + seg(req.Session.ExternalID), func(string) bool {
			return false
		}
	case req.Op == connectors.OpRevokeCredential && req.Credential != nil:
		return c.credentialPath(ctx, req), revoked
	}
	return "", revoked
}

func (c *Connector) credentialPath(ctx context.Context, req connectors.Request) string {
	cr := req.Credential
	if cr.Kind == "api_token" {
		return "/api/v1/api-tokens/" + seg(cr.ExternalID)
	}
	uid, _, ok := c.userID(ctx, req)
	if !ok {
		return ""
	}
	if cr.Kind == "oauth_grant" {
		return "/api/v1/users/" + seg(uid) + "/grants/" + seg(cr.ExternalID)
	}
	client, token, found := strings.Cut(cr.ExternalID, "/")
	if cr.Kind != "refresh_token" || !found {
		return ""
	}
	return "/api/v1/users/" + seg(uid) + "/clients/" + seg(client) + "/tokens/" + seg(token)
}

func ifOK(ok bool, path string) string {
	if !ok {
		return ""
	}
	return path
}

func check(c connectors.Check, evidence string) connectors.Verification {
	return connectors.Verification{Check: c, Evidence: evidence, At: time.Now().UTC()}
}

func requested(evidence string) connectors.Verification {
	return check(connectors.Requested, evidence)
}
