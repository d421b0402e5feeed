package okta

import (
	"context"
	"net/http"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// idAliases and loginAliases are the alias types the connector reads.
var (
	idAliases    = []string{"okta_user_id"}
	loginAliases = []string{"okta_login", "login", "email"}
)

// user is the part of Okta's User object the connector reads.
type user struct {
	ID      string    `json:"id"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
}

func (u user) disabled() bool {
	return u.Status == "SUSPENDED" || u.Status == "DEPROVISIONED"
}

// userID finds the principal's Okta user id: from an okta_user_id alias,
// or by reading the user by login. ok is false when res is the answer.
func (c *Connector) userID(ctx context.Context,
	req connectors.Request) (string, connectors.Result, bool) {
	if id, ok := req.Alias(idAliases...); ok {
		return id, connectors.Result{}, true
	}
	u, res, ok := c.user(ctx, req)
	return u.ID, res, ok
}

// user reads the principal's Okta user.
func (c *Connector) user(ctx context.Context,
	req connectors.Request) (user, connectors.Result, bool) {
	key, ok := req.Alias(append(idAliases, loginAliases...)...)
	if !ok {
		return user{}, connectors.Unsupportedf("okta: principal %s has no "+
			"okta_user_id, okta_login, login or email alias", req.Principal.ID), false
	}
	var u user
	resp, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: "/api/v1/users/" + seg(key)}, &u)
	if err == nil {
		return u, connectors.Result{}, true
	}
	res := c.api.Result(resp, err)
	if resp != nil && resp.Status == http.StatusNotFound {
		res = unknownUser(res)
	}
	return user{}, res, false
}
