package keycloak

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// userSession is Keycloak's UserSessionRepresentation; start and
// lastAccess are epoch milliseconds.
type userSession struct {
	ID         string            `json:"id"`
	IPAddress  string            `json:"ipAddress"`
	Start      int64             `json:"start"`
	LastAccess int64             `json:"lastAccess"`
	Clients    map[string]string `json:"clients"`
}

// List returns the user's online sessions, and its offline tokens (one
// credential of kind offline_token per client, ExternalID the clientId).
// Keycloak returns both lists whole: they are not paged.
func (c *Connector) List(ctx context.Context, p store.Principal,
	aliases []store.Alias) (connectors.Listing, error) {
	u, res, ok := c.user(ctx, connectors.Request{Principal: p, Aliases: aliases})
	if !ok {
		if res.Outcome == connectors.Unsupported || res.Outcome == connectors.Permanent {
			return connectors.Listing{}, nil
		}
		return connectors.Listing{}, res.Err
	}
	sessions, err := c.sessions(ctx, u.ID)
	if err != nil {
		return connectors.Listing{}, err
	}
	consents, err := c.consents(ctx, u.ID)
	if err != nil {
		return connectors.Listing{}, err
	}
	return connectors.Listing{Sessions: c.toSessions(p.ID, sessions),
		SessionsListed: true, Credentials: c.toCredentials(p.ID, consents),
		CredentialsListed: true, Aliases: []store.Alias{{
			Type: "keycloak_user_id", Value: u.ID, PrincipalID: p.ID}}}, nil
}

func (c *Connector) sessions(ctx context.Context, uid string) ([]userSession, error) {
	var out []userSession
	_, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: c.admin + "/users/" + seg(uid) + "/sessions"}, &out)
	if err != nil {
		return nil, fmt.Errorf("list keycloak sessions: %w", err)
	}
	return out, nil
}

func (c *Connector) toSessions(pid string, in []userSession) []store.Session {
	out := make([]store.Session, 0, len(in))
	for _, s := range in {
		out = append(out, store.Session{PrincipalID: pid, Provider: c.provider,
			ExternalID: s.ID, Kind: "browser", Status: store.StatusActive,
			Origin:     store.Origin{IP: s.IPAddress},
			CreatedAt:  time.UnixMilli(s.Start).UTC(),
			LastSeenAt: time.UnixMilli(s.LastAccess).UTC()})
	}
	return out
}

func (c *Connector) toCredentials(pid string, in []consent) []store.Credential {
	var out []store.Credential
	for _, cs := range in {
		if !cs.offline() {
			continue
		}
		cr := store.Credential{PrincipalID: pid, Kind: "offline_token",
			Store: c.provider, ExternalID: cs.ClientID,
			Fingerprint: "offline_token:" + cs.ClientID, Status: store.StatusActive}
		if cs.CreatedDate > 0 {
			cr.CreatedAt = time.UnixMilli(cs.CreatedDate).UTC()
		}
		out = append(out, cr)
	}
	return out
}

// Verify reads the user's sessions, consents or state back: a revoked
// session must be gone from the list, a logged-out user must have no
// session and no offline token left, a disabled user must read enabled
// false.
func (c *Connector) Verify(ctx context.Context, req connectors.Request) connectors.Verification {
	u, res, ok := c.user(ctx, req)
	if !ok {
		return check(connectors.Requested, "read user: "+res.String())
	}
	switch req.Op {
	case connectors.OpDisablePrincipal:
		return checkIf(!u.Enabled, "enabled is false", "enabled is still true")
	case connectors.OpRevokeCredential:
		return c.verifyConsent(ctx, u.ID, req.Credential)
	}
	return c.verifySessions(ctx, u.ID, req.Session)
}

func (c *Connector) verifySessions(ctx context.Context, uid string,
	s *store.Session) connectors.Verification {
	live, err := c.sessions(ctx, uid)
	if err != nil {
		return check(connectors.Requested, err.Error())
	}
	if s != nil && s.ExternalID != "" {
		still := slices.ContainsFunc(live, func(l userSession) bool {
			return l.ID == s.ExternalID
		})
		return checkIf(!still, "session "+s.ExternalID+" no longer listed",
			"session "+s.ExternalID+" still listed")
	}
	consents, err := c.consents(ctx, uid)
	if err != nil {
		return check(connectors.Requested, err.Error())
	}
	offline := len(c.toCredentials("", consents))
	return checkIf(len(live) == 0 && offline == 0, "no sessions, no offline tokens",
		fmt.Sprintf("%d sessions and %d offline tokens left", len(live), offline))
}

func (c *Connector) verifyConsent(ctx context.Context, uid string,
	cr *store.Credential) connectors.Verification {
	consents, err := c.consents(ctx, uid)
	if err != nil || cr == nil {
		return check(connectors.Requested, fmt.Sprint("read consents: ", err))
	}
	still := slices.ContainsFunc(consents, func(cs consent) bool {
		return cs.ClientID == cr.ExternalID
	})
	return checkIf(!still, "no consent for "+cr.ExternalID,
		"consent for "+cr.ExternalID+" still listed")
}

func checkIf(ok bool, yes, no string) connectors.Verification {
	if ok {
		return check(connectors.Confirmed, yes)
	}
	return check(connectors.Failed, no)
}

func check(c connectors.Check, evidence string) connectors.Verification {
	return connectors.Verification{Check: c, Evidence: evidence, At: time.Now().UTC()}
}
