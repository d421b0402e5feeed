package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// passwordCredential is Graph's passwordCredential (secretText is never
// returned on read).
type passwordCredential struct {
	KeyID       string    `json:"keyId"`
	DisplayName string    `json:"displayName"`
	Hint        string    `json:"hint"`
	Start       time.Time `json:"startDateTime"`
	End         time.Time `json:"endDateTime"`
}

type servicePrincipal struct {
	ID        string               `json:"id"`
	AppID     string               `json:"appId"`
	Passwords []passwordCredential `json:"passwordCredentials"`
}

// secretRef finds the service principal and key id a client_secret
// credential names.
func secretRef(req connectors.Request) (sp, key string, res connectors.Result, ok bool) {
	cr := req.Credential
	if cr == nil || cr.Kind != "client_secret" || cr.ExternalID == "" {
		return "", "", connectors.Unsupportedf("entra: only client_secret " +
			"credentials with an external id can be revoked"), false
	}
	if sp, key, found := strings.Cut(cr.ExternalID, "/"); found {
		return sp, key, connectors.Result{}, true
	}
	if sp, found := req.Alias(spAliases...); found {
		return sp, cr.ExternalID, connectors.Result{}, true
	}
	return "", "", connectors.Unsupportedf("entra: credential %s names no "+
		"service principal (spId/keyId, or an entra_sp_id alias)", cr.ID), false
}

func (c *Connector) removeSecret(ctx context.Context, req connectors.Request) connectors.Result {
	sp, key, res, ok := secretRef(req)
	if !ok {
		return res
	}
	if present, res, ok := c.hasSecret(ctx, sp, key); !ok || !present {
		return alreadyOr(res, ok)
	}
	resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodPost,
		Path: "/servicePrincipals/" + seg(sp) + "/removePassword",
		Body: mustJSON(map[string]string{"keyId": key}), Idempotent: true})
	res = c.api.Result(resp, err)
	if res.Outcome != connectors.Permanent && res.Outcome != connectors.AlreadyDone {
		return res
	}
	// Graph does not document its answer for an unknown keyId: read back.
	if present, _, ok := c.hasSecret(ctx, sp, key); ok && !present {
		return connectors.Result{Outcome: connectors.AlreadyDone,
			RequestID: res.RequestID}
	}
	return res
}

func alreadyOr(res connectors.Result, ok bool) connectors.Result {
	if ok {
		return connectors.Result{Outcome: connectors.AlreadyDone}
	}
	return res
}

// hasSecret reads the service principal's password credentials.
func (c *Connector) hasSecret(ctx context.Context, sp, key string) (bool, connectors.Result, bool) {
	p, res, ok := c.secret(ctx, sp, key)
	return p != nil, res, ok
}

// secret reads the service principal's password credential key; nil
// when it has none such.
func (c *Connector) secret(ctx context.Context, sp,
	key string) (*passwordCredential, connectors.Result, bool) {
	var obj servicePrincipal
	path := "/servicePrincipals/" + seg(sp)
	resp, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: path, Query: url.Values{"$select": {"id,appId,passwordCredentials"}}}, &obj)
	if err != nil {
		res := c.api.Result(resp, err)
		if resp != nil && resp.Status == http.StatusNotFound {
			res = notFound(res, path)
		}
		return nil, res, false
	}
	i := slices.IndexFunc(obj.Passwords, func(p passwordCredential) bool {
		return p.KeyID == key
	})
	if i < 0 {
		return nil, connectors.Result{}, true
	}
	return &obj.Passwords[i], connectors.Result{}, true
}

// CheckCredential asks Graph whether a client secret (ExternalID
// "spId/keyId") still works, without using it: the service principal
// still listing it, with an end date (endDateTime) not yet passed, is
// valid, with the end date as ExpiresAt; a secret removed, or a service
// principal gone (404), is not. Graph keeps listing a secret past its
// end date, so the date decides. Another kind of credential, or a key id
// without its service principal, cannot be looked at this way
// (connectors.ErrValidityUnknown).
func (c *Connector) CheckCredential(ctx context.Context,
	cr store.Credential) (connectors.Validity, error) {
	sp, key, found := strings.Cut(cr.ExternalID, "/")
	if cr.Kind != "client_secret" || !found || sp == "" || key == "" {
		return connectors.Validity{}, fmt.Errorf("entra: credential %s is "+
			"not a client secret named spId/keyId: %w", cr.ID,
			connectors.ErrValidityUnknown)
	}
	p, res, ok := c.secret(ctx, sp, key)
	switch {
	case !ok && errors.Is(res.Err, errGone):
		return connectors.Validity{}, nil
	case !ok:
		return connectors.Validity{}, fmt.Errorf("entra: read the secret "+
			"of credential %s: %w", cr.ID, res.Err)
	case p == nil:
		return connectors.Validity{}, nil
	}
	return connectors.Validity{ExpiresAt: p.End, Subject: sp,
		Active: p.End.IsZero() || p.End.After(time.Now())}, nil
}

// List returns client secrets as credentials (ExternalID "spId/keyId",
// with start and end dates): the service principal's own when the
// principal has an entra_sp_id alias, else those of the service
// principals the user owns, paged with @odata.nextLink. Graph v1.0 lists
// no sign-in sessions, so SessionsListed stays false.
func (c *Connector) List(ctx context.Context, p store.Principal,
	aliases []store.Alias) (connectors.Listing, error) {
	req := connectors.Request{Principal: p, Aliases: aliases}
	var sps []servicePrincipal
	var err error
	if sp, ok := req.Alias(spAliases...); ok {
		sps, err = c.ownSecrets(ctx, sp)
	} else if u, ok := req.Alias(userAliases...); ok {
		sps, err = c.ownedSecrets(ctx, u)
	} else {
		return connectors.Listing{}, nil
	}
	if err != nil {
		return connectors.Listing{}, err
	}
	return connectors.Listing{Credentials: c.credentials(p.ID, sps),
		CredentialsListed: true}, nil
}

func (c *Connector) ownSecrets(ctx context.Context, sp string) ([]servicePrincipal, error) {
	var obj servicePrincipal
	_, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path:  "/servicePrincipals/" + seg(sp),
		Query: url.Values{"$select": {"id,appId,passwordCredentials"}}}, &obj)
	return []servicePrincipal{obj}, err
}

func (c *Connector) ownedSecrets(ctx context.Context, uid string) ([]servicePrincipal, error) {
	var out []servicePrincipal
	req := restclient.Request{Method: http.MethodGet,
		Path:  "/users/" + seg(uid) + "/ownedObjects/microsoft.graph.servicePrincipal",
		Query: url.Values{"$select": {"id,appId,passwordCredentials"}}}
	var page struct {
		Value    []servicePrincipal `json:"value"`
		NextLink string             `json:"@odata.nextLink"`
	}
	err := c.api.Pages(ctx, req, func(*restclient.Response) (string, error) {
		return page.NextLink, nil
	}, func(r *restclient.Response) error {
		page.Value, page.NextLink = nil, ""
		err := r.JSON(&page)
		out = append(out, page.Value...)
		return err
	})
	return out, err
}

func (c *Connector) credentials(pid string, sps []servicePrincipal) []store.Credential {
	var out []store.Credential
	for _, sp := range sps {
		for _, p := range sp.Passwords {
			out = append(out, store.Credential{PrincipalID: pid,
				Kind: "client_secret", Store: c.provider,
				ExternalID: sp.ID + "/" + p.KeyID, Fingerprint: "keyId:" + p.KeyID,
				CreatedAt: p.Start, ExpiresAt: p.End, Status: store.StatusActive})
		}
	}
	return out
}
