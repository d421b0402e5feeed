package google

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// token is one entry of tokens.list: no creation or last-use time.
type token struct {
	ClientID    string   `json:"clientId"`
	DisplayText string   `json:"displayText"`
	Scopes      []string `json:"scopes"`
}

// asp is an app-specific password; times are int64 milliseconds, which
// Google's JSON may write as strings.
type asp struct {
	CodeID       json.Number `json:"codeId"`
	Name         string      `json:"name"`
	CreationTime json.Number `json:"creationTime"`
	LastTimeUsed json.Number `json:"lastTimeUsed"`
}

func (c *Connector) tokens(ctx context.Context, base string) ([]token, error) {
	var out struct {
		Items []token `json:"items"`
	}
	_, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: base + "/tokens"}, &out)
	return out.Items, err
}

func (c *Connector) asps(ctx context.Context, base string) ([]asp, error) {
	var out struct {
		Items []asp `json:"items"`
	}
	_, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: base + "/asps"}, &out)
	return out.Items, err
}

// List returns the OAuth tokens the user granted (kind oauth_token, one
// per client, without dates: Google keeps none) and app-specific
// passwords (kind app_password, with creation and last use). Google
// lists no sessions. Neither list is paged.
func (c *Connector) List(ctx context.Context, p store.Principal,
	aliases []store.Alias) (connectors.Listing, error) {
	key, ok := connectors.Request{Aliases: aliases}.Alias("google_user_id",
		"google_email", "email")
	if !ok {
		return connectors.Listing{}, nil
	}
	base := "/users/" + seg(key)
	toks, err := c.tokens(ctx, base)
	if err != nil {
		return connectors.Listing{}, err
	}
	pws, err := c.asps(ctx, base)
	if err != nil {
		return connectors.Listing{}, err
	}
	var creds []store.Credential
	for _, t := range toks {
		creds = append(creds, c.credential(p.ID, "oauth_token", t.ClientID))
	}
	for _, a := range pws {
		cr := c.credential(p.ID, "app_password", a.CodeID.String())
		cr.CreatedAt, cr.LastUsedAt = millis(a.CreationTime), millis(a.LastTimeUsed)
		creds = append(creds, cr)
	}
	return connectors.Listing{Credentials: creds, CredentialsListed: true}, nil
}

func (c *Connector) credential(pid, kind, id string) store.Credential {
	return store.Credential{PrincipalID: pid, Kind: kind, Store: c.provider,
		ExternalID: id, Fingerprint: kind + ":" + id, Status: store.StatusActive}
}

func millis(n json.Number) time.Time {
	ms, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// Verify reads back: a revoked token or app password must be gone from
// its list, a suspended user must read suspended. signOut leaves nothing
// to read, so a session revocation is Requested.
func (c *Connector) Verify(ctx context.Context, req connectors.Request) connectors.Verification {
	key, ok := req.Alias("google_user_id", "google_email", "email")
	if !ok {
		return check(connectors.Requested, "no alias to look the user up by")
	}
	base := "/users/" + seg(key)
	switch {
	case req.Op == connectors.OpRevokeCredential && req.Credential != nil &&
		req.Credential.Kind == "oauth_token":
		toks, err := c.tokens(ctx, base)
		if err != nil {
			return check(connectors.Requested, err.Error())
		}
		still := slices.ContainsFunc(toks, func(t token) bool {
			return t.ClientID == req.Credential.ExternalID
		})
		return checkIf(!still, "no token for client "+req.Credential.ExternalID,
			"token for client "+req.Credential.ExternalID+" still listed")
	case req.Op == connectors.OpDisablePrincipal:
		return c.verifySuspended(ctx, base)
	}
	return check(connectors.Requested, "signOut accepted; Google offers no "+
		"session list to confirm it")
}

func (c *Connector) verifySuspended(ctx context.Context, base string) connectors.Verification {
	var u struct {
		Suspended bool `json:"suspended"`
	}
	_, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet, Path: base}, &u)
	if err != nil {
		return check(connectors.Requested, err.Error())
	}
	return checkIf(u.Suspended, "suspended is true", "suspended is still false")
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
