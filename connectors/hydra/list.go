package hydra

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// grant is the part of a Hydra consent session the connector reads.
type grant struct {
	HandledAt   time.Time `json:"handled_at"`
	RememberFor int       `json:"remember_for"`
	Request     struct {
		Client struct {
			ID   string `json:"client_id"`
			Name string `json:"client_name"`
		} `json:"client"`
	} `json:"consent_request"`
}

// List lists the subject's grants, one registry session per client. A
// principal with no subject alias lists nothing and ends nothing.
func (c *Connector) List(ctx context.Context, p store.Principal,
	aliases []store.Alias) (connectors.Listing, error) {
	sub := c.subject(aliases)
	if sub == "" {
		return connectors.Listing{}, nil
	}
	gs, err := c.grants(ctx, sub)
	if err != nil {
		return connectors.Listing{}, fmt.Errorf("list grants of %s: %w",
			p.ID, err)
	}
	l := connectors.Listing{SessionsListed: true}
	for _, g := range gs {
		l.Sessions = append(l.Sessions, g.registry(c.cfg.effect()))
	}
	return l, nil
}

// maxPages stops a listing that never ends.
const maxPages = 1000

// grants reads every consent session of a subject, page by page.
//
// Hydra v2.3 builds this list's Link header with its page and size
// swapped, so the links point at the wrong pages. The connector asks for
// each page by offset itself, in Hydra's page_token encoding, and stops
// at a short page.
func (c *Connector) grants(ctx context.Context, sub string) ([]grant, error) {
	var all []grant
	for page := range maxPages {
		var got []grant
		_, err := c.http.GetJSON(ctx, restclient.Request{
			Method: http.MethodGet, Path: "/admin/oauth2/auth/sessions/consent",
			Query: url.Values{"subject": {sub},
				"page_size":  {strconv.Itoa(c.cfg.PageSize)},
				"page_token": {pageToken(page * c.cfg.PageSize)}}}, &got)
		if err != nil {
			return nil, err
		}
		all = append(all, got...)
		if len(got) < c.cfg.PageSize {
			return all, nil
		}
	}
	return nil, fmt.Errorf("%s: more than %d pages of grants",
		c.name, maxPages)
}

// pageToken is Hydra's token for the page at offset.
func pageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString(
		fmt.Appendf(nil, `{"offset":"%d","v":2}`, offset))
}

// registry is the grant as a registry session.
func (g grant) registry(effect store.Effect) store.Session {
	s := store.Session{ExternalID: g.Request.Client.ID, Kind: "token",
		CreatedAt: g.HandledAt, Effect: effect,
		Origin: store.Origin{App: g.Request.Client.Name}}
	if s.Origin.App == "" {
		s.Origin.App = g.Request.Client.ID
	}
	if g.RememberFor > 0 {
		s.ExpiresAt = g.HandledAt.Add(time.Duration(g.RememberFor) * time.Second)
	}
	return s
}
