package kratos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Verify looks whether a revocation took effect: the session reads as
// inactive or is gone; the identity has no active session left; the
// identity is inactive.
func (c *Connector) Verify(ctx context.Context, req connectors.Request) connectors.Verification {
	switch {
	case req.Op == connectors.OpRevokeSession && req.Session != nil &&
		req.Session.ExternalID != "":
		return c.verifySession(ctx, req.Session.ExternalID)
	case req.Op == connectors.OpRevokeSession:
		return c.verifyIdentity(ctx, req, c.verifyNoSessions)
	case req.Op == connectors.OpDisablePrincipal:
		return c.verifyIdentity(ctx, req, c.verifyInactive)
	}
	return requested(fmt.Errorf("%s cannot be verified", req.Op))
}

func (c *Connector) verifySession(ctx context.Context, id string) connectors.Verification {
	var s session
	_, err := c.http.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: "/admin/sessions/" + url.PathEscape(id)}, &s)
	var se *restclient.StatusError
	switch {
	case errors.As(err, &se) && se.Resp.Status == http.StatusNotFound:
		return confirmed("GET /admin/sessions/%s: 404, the session is gone", id)
	case err != nil:
		return requested(err)
	case s.Active:
		return failed("GET /admin/sessions/%s: active is still true", id)
	}
	return confirmed("GET /admin/sessions/%s: active false", id)
}

func (c *Connector) verifyIdentity(ctx context.Context, req connectors.Request,
	check func(context.Context, string) connectors.Verification) connectors.Verification {
	id, res := c.identityOf(ctx, req.Aliases)
	if id == "" {
		return requested(res.Err)
	}
	return check(ctx, id)
}

func (c *Connector) verifyNoSessions(ctx context.Context, id string) connectors.Verification {
	ss, err := c.sessions(ctx, id)
	switch {
	case err != nil:
		return requested(err)
	case len(ss) > 0:
		return failed("identity %s still has %d active sessions", id, len(ss))
	}
	return confirmed("identity %s has no active session", id)
}

func (c *Connector) verifyInactive(ctx context.Context, id string) connectors.Verification {
	ident, err := c.identity(ctx, id)
	switch {
	case err != nil:
		return requested(err)
	case ident.State != stateInactive:
		return failed("identity %s is still %s", id, ident.State)
	}
	return c.verifyNoSessions(ctx, id)
}

func confirmed(format string, args ...any) connectors.Verification {
	return connectors.Verification{Check: connectors.Confirmed,
		Evidence: fmt.Sprintf(format, args...)}
}

func failed(format string, args ...any) connectors.Verification {
	return connectors.Verification{Check: connectors.Failed,
		Evidence: fmt.Sprintf(format, args...)}
}

// requested is the verification when the provider could not be asked.
func requested(err error) connectors.Verification {
	return connectors.Verification{Check: connectors.Requested,
		Evidence: "could not look: " + err.Error()}
}
