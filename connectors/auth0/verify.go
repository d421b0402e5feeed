package auth0

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Verify reads back what was revoked. Auth0 deletes asynchronously, so
// a session or refresh token still there is Requested, not Failed; gone
// (404) is Confirmed. A block must read blocked true.
func (c *Connector) Verify(ctx context.Context, req connectors.Request) connectors.Verification {
	var path string
	switch {
	case req.Op == connectors.OpDisablePrincipal:
		return c.verifyBlocked(ctx, req)
	case req.Op == connectors.OpRevokeSession && req.Session != nil && req.Session.ExternalID != "":
		path = "/api/v2/sessions/" + seg(req.Session.ExternalID)
	case req.Op == connectors.OpRevokeCredential && req.Credential != nil:
		path = "/api/v2/refresh-tokens/" + seg(req.Credential.ExternalID)
	default:
		return check(connectors.Requested, "deletion of all sessions accepted; "+
			"Auth0 carries it out asynchronously")
	}
	resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: path})
	switch {
	case err != nil:
		return check(connectors.Requested, err.Error())
	case resp.Status == http.StatusNotFound:
		return check(connectors.Confirmed, "GET "+path+": 404, gone")
	}
	return check(connectors.Requested, fmt.Sprintf("GET %s: status %d; "+
		"deletion is asynchronous", path, resp.Status))
}

func (c *Connector) verifyBlocked(ctx context.Context, req connectors.Request) connectors.Verification {
	u, res, ok := c.user(ctx, req)
	switch {
	case !ok:
		return check(connectors.Requested, res.String())
	case u.Blocked:
		return check(connectors.Confirmed, "blocked is true")
	}
	return check(connectors.Failed, "blocked is still false")
}

func check(c connectors.Check, evidence string) connectors.Verification {
	return connectors.Verification{Check: c, Evidence: evidence, At: time.Now().UTC()}
}
