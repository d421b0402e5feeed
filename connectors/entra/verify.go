package entra

import (
	"context"
	"fmt"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
)

// Verify looks at Entra after a revocation. revokeSignInSessions is
// eventual, so a session revocation is at best Requested, with the
// user's signInSessionsValidFromDateTime as evidence; a removed secret
// must be gone from the list, a disabled user must read accountEnabled
// false.
func (c *Connector) Verify(ctx context.Context, req connectors.Request) connectors.Verification {
	switch req.Op {
	case connectors.OpRevokeSession:
		u, res, ok := c.user(ctx, req)
		if !ok {
			return check(connectors.Requested, "read user: "+res.String())
		}
		return check(connectors.Requested, fmt.Sprintf("revokeSignInSessions "+
			"accepted; sessions valid from %s; takes effect within minutes",
			u.SessionsValidFrom.Format(time.RFC3339)))
	case connectors.OpRevokeCredential:
		return c.verifySecret(ctx, req)
	}
	return c.verifyDisabled(ctx, req)
}

func (c *Connector) verifySecret(ctx context.Context, req connectors.Request) connectors.Verification {
	sp, key, res, ok := secretRef(req)
	if !ok {
		return check(connectors.Requested, res.String())
	}
	present, res, ok := c.hasSecret(ctx, sp, key)
	switch {
	case !ok:
		return check(connectors.Requested, "read secrets: "+res.String())
	case present:
		return check(connectors.Failed, "keyId "+key+" still listed")
	}
	return check(connectors.Confirmed, "keyId "+key+" no longer listed")
}

func (c *Connector) verifyDisabled(ctx context.Context, req connectors.Request) connectors.Verification {
	if _, ok := req.Alias(spAliases...); ok {
		return check(connectors.Requested, "service principal state not read back")
	}
	u, res, ok := c.user(ctx, req)
	switch {
	case !ok:
		return check(connectors.Requested, "read user: "+res.String())
	case u.AccountEnabled:
		return check(connectors.Failed, "accountEnabled is still true")
	}
	return check(connectors.Confirmed, "accountEnabled is false")
}

func check(c connectors.Check, evidence string) connectors.Verification {
	return connectors.Verification{Check: c, Evidence: evidence, At: time.Now().UTC()}
}
