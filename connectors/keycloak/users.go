package keycloak

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// user is Keycloak's UserRepresentation, as far as it is read.
type user struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Enabled  bool   `json:"enabled"`
}

// consent is one entry of GET /users/{id}/consents.
type consent struct {
	ClientID         string `json:"clientId"`
	CreatedDate      int64  `json:"createdDate"`
	LastUpdatedDate  int64  `json:"lastUpdatedDate"`
	AdditionalGrants []struct {
		Key string `json:"key"`
	} `json:"additionalGrants"`
}

func (c consent) offline() bool {
	for _, g := range c.AdditionalGrants {
		if g.Key == "Offline Token" {
			return true
		}
	}
	return false
}

// user finds the principal's Keycloak user; ok is false when res is the
// answer to give.
func (c *Connector) user(ctx context.Context, req connectors.Request) (user, connectors.Result, bool) {
	if id, ok := req.Alias("keycloak_user_id"); ok {
		return c.userByPath(ctx, "/users/"+seg(id))
	}
	for _, f := range []struct{ alias, param string }{
		{"keycloak_username", "username"}, {"username", "username"},
		{"email", "email"}} {
		if v, ok := req.Alias(f.alias); ok {
			return c.search(ctx, "/users", url.Values{f.param: {v}, "exact": {"true"}})
		}
	}
	if cid, ok := req.Alias("keycloak_client_id"); ok {
		return c.serviceAccount(ctx, cid)
	}
	return user{}, connectors.Unsupportedf("keycloak: principal %s has no "+
		"keycloak_user_id, username, email or keycloak_client_id alias",
		req.Principal.ID), false
}

func (c *Connector) userByPath(ctx context.Context, path string) (user, connectors.Result, bool) {
	var u user
	resp, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: c.admin + path}, &u)
	if err != nil {
		return user{}, notFound(c.api.Result(resp, err), path), false
	}
	return u, connectors.Result{}, true
}

func (c *Connector) search(ctx context.Context, path string, q url.Values) (user, connectors.Result, bool) {
	var found []user
	resp, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: c.admin + path, Query: q}, &found)
	if err != nil {
		return user{}, c.api.Result(resp, err), false
	}
	if len(found) != 1 {
		return user{}, connectors.Result{Outcome: connectors.Permanent,
			Err: fmt.Errorf("keycloak: %d users match, want exactly one", len(found))}, false
	}
	return found[0], connectors.Result{}, true
}

// serviceAccount finds the service-account user of the client whose
// clientId is cid.
func (c *Connector) serviceAccount(ctx context.Context, cid string) (user, connectors.Result, bool) {
	var clients []struct {
		ID string `json:"id"`
	}
	resp, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: c.admin + "/clients", Query: url.Values{"clientId": {cid}}}, &clients)
	if err != nil {
		return user{}, c.api.Result(resp, err), false
	}
	if len(clients) != 1 {
		return user{}, connectors.Result{Outcome: connectors.Permanent,
			Err: fmt.Errorf("keycloak: no client with clientId %q", cid)}, false
	}
	return c.userByPath(ctx, "/clients/"+seg(clients[0].ID)+"/service-account-user")
}

func (c *Connector) consents(ctx context.Context, uid string) ([]consent, error) {
	var out []consent
	_, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: c.admin + "/users/" + seg(uid) + "/consents"}, &out)
	return out, err
}

// notFound: a 404 on a user or client is a wrong alias, not a revocation.
func notFound(res connectors.Result, path string) connectors.Result {
	if res.Outcome == connectors.AlreadyDone {
		res.Outcome = connectors.Permanent
		res.Err = fmt.Errorf("keycloak: %s not found: %w", path, res.Err)
	}
	return res
}
