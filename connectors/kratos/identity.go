package kratos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// stateInactive is the state of a disabled identity.
const stateInactive = "inactive"

// identity is the part of a Kratos identity the connector reads.
type identity struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// identityOf finds the Kratos identity id of a principal: its identity
// alias, or the one identity whose login identifier is one of its lookup
// aliases. When there is none, id is "" and res says why.
func (c *Connector) identityOf(ctx context.Context,
	aliases []store.Alias) (id string, res connectors.Result) {
	for _, a := range aliases {
		if a.Type == c.cfg.IdentityAlias && a.Value != "" {
			return a.Value, connectors.Result{}
		}
	}
	id, err := c.lookup(ctx, aliases)
	if err != nil {
		return "", c.http.Result(nil, err)
	}
	if id == "" {
		return "", connectors.Result{Outcome: connectors.Unsupported,
			Err: fmt.Errorf("%s: no %s alias, and no identity has "+
				"a login identifier among the aliases of types %v",
				c.name, c.cfg.IdentityAlias, c.cfg.LookupAliases)}
	}
	return id, connectors.Result{}
}

// lookup finds the identity whose login identifier is the value of one
// of the lookup aliases, or "" when none is.
func (c *Connector) lookup(ctx context.Context, aliases []store.Alias) (string, error) {
	for _, typ := range c.cfg.LookupAliases {
		for _, a := range aliases {
			if a.Type != typ || a.Value == "" {
				continue
			}
			id, err := c.byIdentifier(ctx, a.Value)
			if err != nil || id != "" {
				return id, err
			}
		}
	}
	return "", nil
}

// byIdentifier finds the identity with that login identifier.
func (c *Connector) byIdentifier(ctx context.Context, v string) (string, error) {
	var found []identity
	_, err := c.http.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path:  "/admin/identities",
		Query: url.Values{"credentials_identifier": {v}}}, &found)
	if err != nil {
		return "", fmt.Errorf("look up identity: %w", err)
	}
	if len(found) != 1 {
		return "", nil
	}
	return found[0].ID, nil
}

// identity reads one identity.
func (c *Connector) identity(ctx context.Context, id string) (identity, error) {
	var out identity
	_, err := c.http.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: "/admin/identities/" + url.PathEscape(id)}, &out)
	return out, err
}

// classifyLookup classifies a failed read of an identity: unlike a
// revoke's, a 404 there means the principal's alias names no identity,
// which no retry fixes.
func classifyLookup(c *restclient.Client, err error) connectors.Result {
	var se *restclient.StatusError
	if errors.As(err, &se) && se.Resp.Status == http.StatusNotFound {
		return connectors.Result{Outcome: connectors.Permanent,
			Err: fmt.Errorf("%s: identity unknown: %w", c.Name(), err)}
	}
	return c.Result(nil, err)
}
