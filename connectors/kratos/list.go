package kratos

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// session is the part of a Kratos session the connector reads.
type session struct {
	ID              string    `json:"id"`
	Active          bool      `json:"active"`
	ExpiresAt       time.Time `json:"expires_at"`
	AuthenticatedAt time.Time `json:"authenticated_at"`
	IssuedAt        time.Time `json:"issued_at"`
	Devices         []struct {
		IP        string `json:"ip_address"`
		UserAgent string `json:"user_agent"`
		Location  string `json:"location"`
	} `json:"devices"`
}

// List lists the active sessions of the principal's identity. A
// principal Kratos does not know lists nothing and ends nothing.
func (c *Connector) List(ctx context.Context, p store.Principal,
	aliases []store.Alias) (connectors.Listing, error) {
	id, res := c.identityOf(ctx, aliases)
	if id == "" {
		if res.Outcome == connectors.Unsupported {
			return connectors.Listing{}, nil
		}
		return connectors.Listing{}, res.Err
	}
	ss, err := c.sessions(ctx, id)
	if err != nil {
		return connectors.Listing{}, fmt.Errorf("list sessions of %s: %w",
			p.ID, err)
	}
	l := connectors.Listing{SessionsListed: true,
		Aliases: []store.Alias{{Type: c.cfg.IdentityAlias, Value: id}}}
	for _, s := range ss {
		l.Sessions = append(l.Sessions, s.registry())
	}
	return l, nil
}

// maxPages stops a listing that never ends.
const maxPages = 1000

// sessions reads every active session of an identity, page by page.
//
// Kratos v1.3 pages this list by page number from 1 (page 0 is page 1
// again), and its Link header points at the wrong page: the connector
// counts pages itself and stops at a short one.
func (c *Connector) sessions(ctx context.Context, id string) ([]session, error) {
	var all []session
	for page := 1; page <= maxPages; page++ {
		var got []session
		_, err := c.http.GetJSON(ctx, restclient.Request{
			Method: http.MethodGet,
			Path:   "/admin/identities/" + url.PathEscape(id) + "/sessions",
			Query: url.Values{"active": {"true"}, "page": {strconv.Itoa(page)},
				"per_page": {strconv.Itoa(c.cfg.PageSize)}}}, &got)
		if err != nil {
			return nil, err
		}
		all = append(all, got...)
		if len(got) < c.cfg.PageSize {
			return all, nil
		}
	}
	return nil, fmt.Errorf("%s: more than %d pages of sessions",
		c.name, maxPages)
}

// registry is the session as the registry keeps it.
func (s session) registry() store.Session {
	out := store.Session{ExternalID: s.ID, Kind: "browser",
		CreatedAt: firstTime(s.AuthenticatedAt, s.IssuedAt),
		ExpiresAt: s.ExpiresAt, Effect: store.EffectImmediate}
	if len(s.Devices) > 0 {
		d := s.Devices[0]
		out.Origin = store.Origin{IP: d.IP, UserAgent: d.UserAgent,
			Country: d.Location}
	}
	return out
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
