package auth0

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// user is the part of Auth0's user the connector reads.
type user struct {
	ID      string `json:"user_id"`
	Blocked bool   `json:"blocked"`
}

// user reads the principal's Auth0 user; ok is false when res is the
// answer to give.
func (c *Connector) user(ctx context.Context, req connectors.Request) (user, connectors.Result, bool) {
	if id, ok := req.Alias("auth0_user_id", "user_id"); ok {
		var u user
		resp, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
			Path: "/api/v2/users/" + seg(id)}, &u)
		if err != nil {
			return user{}, userCall(c.api.Result(resp, err)), false
		}
		return u, connectors.Result{}, true
	}
	if email, ok := req.Alias("email"); ok {
		return c.byEmail(ctx, email)
	}
	return user{}, connectors.Unsupportedf("auth0: principal %s has no "+
		"auth0_user_id, user_id or email alias", req.Principal.ID), false
}

func (c *Connector) byEmail(ctx context.Context, email string) (user, connectors.Result, bool) {
	var found []user
	resp, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: "/api/v2/users-by-email", Query: url.Values{"email": {email}}}, &found)
	if err != nil {
		return user{}, c.api.Result(resp, err), false
	}
	if len(found) != 1 {
		return user{}, connectors.Result{Outcome: connectors.Permanent,
			Err: fmt.Errorf("auth0: %d users have this email, want one", len(found))}, false
	}
	return found[0], connectors.Result{}, true
}

// session and refreshToken are what Auth0 lists, as far as it is read.
type session struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_interacted_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Device    struct {
		LastIP        string `json:"last_ip"`
		LastUserAgent string `json:"last_user_agent"`
	} `json:"device"`
}

type refreshToken struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_exchanged_at"`
	ExpiresAt time.Time `json:"expires_at"`
	ClientID  string    `json:"client_id"`
}

// List returns the user's sessions and refresh tokens, following the
// checkpoint cursor (from, take, next) to the end.
func (c *Connector) List(ctx context.Context, p store.Principal,
	aliases []store.Alias) (connectors.Listing, error) {
	u, res, ok := c.user(ctx, connectors.Request{Principal: p, Aliases: aliases})
	if !ok {
		if res.Outcome == connectors.Retryable {
			return connectors.Listing{}, res.Err
		}
		return connectors.Listing{}, nil
	}
	var l connectors.Listing
	err := checkpoint(ctx, c.api, "/api/v2/users/"+seg(u.ID)+"/sessions", "sessions",
		func(s session) { l.Sessions = append(l.Sessions, c.toSession(p.ID, s)) })
	if err != nil {
		return connectors.Listing{}, err
	}
	err = checkpoint(ctx, c.api, "/api/v2/users/"+seg(u.ID)+"/refresh-tokens", "tokens",
		func(t refreshToken) { l.Credentials = append(l.Credentials, c.toCredential(p.ID, t)) })
	l.SessionsListed, l.CredentialsListed = err == nil, err == nil
	l.Aliases = []store.Alias{{Type: "auth0_user_id", Value: u.ID, PrincipalID: p.ID}}
	return l, err
}

func (c *Connector) toSession(pid string, s session) store.Session {
	return store.Session{PrincipalID: pid, Provider: c.provider, ExternalID: s.ID,
		Kind: "browser", Status: store.StatusActive, CreatedAt: s.CreatedAt,
		LastSeenAt: s.LastSeen, ExpiresAt: s.ExpiresAt,
		Origin: store.Origin{IP: s.Device.LastIP, UserAgent: s.Device.LastUserAgent}}
}

func (c *Connector) toCredential(pid string, t refreshToken) store.Credential {
	return store.Credential{PrincipalID: pid, Kind: "refresh_token", Store: c.provider,
		ExternalID: t.ID, Fingerprint: "refresh_token:" + t.ID, CreatedAt: t.CreatedAt,
		LastUsedAt: t.LastUsed, ExpiresAt: t.ExpiresAt, Status: store.StatusActive}
}

// checkpoint pages a list answered as {"<key>":[...],"next":"<cursor>"}.
func checkpoint[T any](ctx context.Context, api *restclient.Client, path, key string,
	each func(T)) error {
	var next string
	req := restclient.Request{Method: http.MethodGet, Path: path,
		Query: url.Values{"take": {"100"}}}
	return api.Pages(ctx, req, func(*restclient.Response) (string, error) {
		if next == "" {
			return "", nil
		}
		return path + "?" + url.Values{"take": {"100"}, "from": {next}}.Encode(), nil
	}, func(r *restclient.Response) error {
		var page map[string]json.RawMessage
		var items []T
		next = ""
		if err := r.JSON(&page); err != nil {
			return err
		}
		if err := json.Unmarshal(page[key], &items); err != nil {
			return fmt.Errorf("auth0: decode %s: %w", key, err)
		}
		json.Unmarshal(page["next"], &next)
		for _, item := range items {
			each(item)
		}
		return nil
	})
}
