package okta

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// pageLimit is the page size asked of Okta's list calls (1..200).
const pageLimit = "200"

// refreshToken is Okta's OAuth2RefreshToken, and grant its
// OAuth2ScopeConsentGrant, as far as the connector reads them.
type refreshToken struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Created   time.Time `json:"created"`
	ExpiresAt time.Time `json:"expiresAt"`
	ClientID  string    `json:"clientId"`
}

type grant struct {
	ID       string    `json:"id"`
	Status   string    `json:"status"`
	Created  time.Time `json:"created"`
	ClientID string    `json:"clientId"`
}

type client struct {
	ClientID string `json:"client_id"`
}

// List returns the user's active OAuth grants and refresh tokens as
// credentials. Okta has no call that lists a user's sessions, so
// SessionsListed stays false.
func (c *Connector) List(ctx context.Context, p store.Principal,
	aliases []store.Alias) (connectors.Listing, error) {
	req := connectors.Request{Principal: p, Aliases: aliases}
	uid, res, ok := c.userID(ctx, req)
	if !ok {
		return missing(res)
	}
	creds, err := c.grants(ctx, p.ID, uid)
	if err != nil {
		return connectors.Listing{}, err
	}
	tokens, err := c.refreshTokens(ctx, p.ID, uid)
	if err != nil {
		return connectors.Listing{}, err
	}
	return connectors.Listing{Credentials: append(creds, tokens...),
		CredentialsListed: true, Aliases: []store.Alias{{Type: "okta_user_id",
			Value: uid, PrincipalID: p.ID}}}, nil
}

// missing turns a failed user lookup into a listing: empty when the
// principal is unknown to Okta or has no alias it reads, an error else.
func missing(res connectors.Result) (connectors.Listing, error) {
	if res.Outcome == connectors.Unsupported ||
		strings.Contains(fmt.Sprint(res.Err), "user not found") {
		return connectors.Listing{}, nil
	}
	return connectors.Listing{}, res.Err
}

func (c *Connector) grants(ctx context.Context, pid, uid string) ([]store.Credential, error) {
	var out []store.Credential
	err := pages(ctx, c.api, "/api/v1/users/"+seg(uid)+"/grants", func(page []grant) {
		for _, g := range page {
			if g.Status == "ACTIVE" {
				out = append(out, c.credential(pid, "oauth_grant", g.ID,
					g.Created, time.Time{}))
			}
		}
	})
	return out, err
}

func (c *Connector) refreshTokens(ctx context.Context, pid, uid string) ([]store.Credential, error) {
	var clients []client
	_, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: "/api/v1/users/" + seg(uid) + "/clients"}, &clients)
	if err != nil {
		return nil, fmt.Errorf("list clients of okta user: %w", err)
	}
	var out []store.Credential
	for _, cl := range clients {
		path := "/api/v1/users/" + seg(uid) + "/clients/" + seg(cl.ClientID) + "/tokens"
		err := pages(ctx, c.api, path, func(page []refreshToken) {
			for _, t := range page {
				if t.Status == "ACTIVE" {
					out = append(out, c.credential(pid, "refresh_token",
						cl.ClientID+"/"+t.ID, t.Created, t.ExpiresAt))
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Connector) credential(pid, kind, id string, created,
	expires time.Time) store.Credential {
	return store.Credential{PrincipalID: pid, Kind: kind, Store: c.provider,
		ExternalID: id, Fingerprint: kind + ":" + id, CreatedAt: created,
		ExpiresAt: expires, Status: store.StatusActive}
}

// pages follows Okta's Link rel="next" through a list, decoding each
// page as a JSON array of T.
func pages[T any](ctx context.Context, api *restclient.Client, path string,
	each func([]T)) error {
	req := restclient.Request{Method: http.MethodGet, Path: path,
		Query: url.Values{"limit": {pageLimit}}}
	return api.Pages(ctx, req, nextLink, func(r *restclient.Response) error {
		var page []T
		if err := r.JSON(&page); err != nil {
			return err
		}
		each(page)
		return nil
	})
}

func nextLink(r *restclient.Response) (string, error) {
	return restclient.NextLink(r.Header), nil
}
