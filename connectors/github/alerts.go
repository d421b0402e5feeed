package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// Alert is a secret scanning alert, without its secret.
type Alert struct {
	Repo       string    `json:"-"`
	Number     int       `json:"number"`
	State      string    `json:"state"`
	SecretType string    `json:"secret_type"`
	Resolution string    `json:"resolution"`
	Validity   string    `json:"validity"`
	CreatedAt  time.Time `json:"created_at"`
}

// alert is an Alert with the secret GitHub returns in it.
type alert struct {
	Alert
	Secret string `json:"secret"`
}

func (a alert) ref() string { return fmt.Sprintf("%s#%d", a.Repo, a.Number) }

func (a alert) path() string {
	return "/repos/" + a.Repo + "/secret-scanning/alerts/" + strconv.Itoa(a.Number)
}

// fingerprint is how the registry names a secret: sha256 of it.
func fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// findAlert finds the alert that exposed cr: by ExternalID
// "owner/repo#number", or by fingerprint among the alerts of the
// repository its exposure names.
func (c *Connector) findAlert(ctx context.Context, cr *store.Credential) (alert, connectors.Result, bool) {
	if cr == nil {
		return alert{}, connectors.Unsupportedf("github: no credential"), false
	}
	if repo, num, ok := alertRef(cr.ExternalID); ok {
		return c.getAlert(ctx, repo, num)
	}
	if cr.Exposure == nil || !validRepo(cr.Exposure.Where) || cr.Fingerprint == "" {
		return alert{}, connectors.Unsupportedf("github: credential %s names no "+
			"alert (ExternalID owner/repo#number) and no exposing repository "+
			"with a fingerprint", cr.ID), false
	}
	return c.searchAlert(ctx, cr.Exposure.Where, cr.Fingerprint)
}

func alertRef(id string) (string, int, bool) {
	repo, n, ok := strings.Cut(id, "#")
	num, err := strconv.Atoi(n)
	return repo, num, ok && err == nil && num > 0 && validRepo(repo)
}

func validRepo(r string) bool {
	owner, name, ok := strings.Cut(r, "/")
	return ok && owner != "" && name != "" && !strings.ContainsAny(name, "/?#") &&
		owner != ".." && name != ".."
}

func (c *Connector) getAlert(ctx context.Context, repo string, num int) (alert, connectors.Result, bool) {
	a := alert{}
	a.Repo, a.Number = repo, num
	resp, err := c.api.GetJSON(ctx, restclient.Request{Method: http.MethodGet,
		Path: a.path(), Header: headers}, &a)
	if err != nil {
		res := c.api.Result(resp, err, restclient.NewSecret(a.Secret))
		if res.Outcome == connectors.AlreadyDone {
			res.Outcome = connectors.Permanent // the alert must exist
		}
		return alert{}, res, false
	}
	a.Repo = repo
	return a, connectors.Result{}, true
}

func (c *Connector) searchAlert(ctx context.Context, repo, fp string) (alert, connectors.Result, bool) {
	var found *alert
	err := c.alerts(ctx, repo, func(a alert) {
		if found == nil && fingerprint(a.Secret) == fp {
			found = &a
		}
	})
	switch {
	case err != nil:
		return alert{}, c.api.Result(nil, err), false
	case found == nil:
		return alert{}, connectors.Result{Outcome: connectors.Permanent,
			Err: fmt.Errorf("github: no secret scanning alert in %s holds this "+
				"credential", repo)}, false
	}
	return *found, connectors.Result{}, true
}

// alerts pages through a repository's secret scanning alerts (Link
// rel="next"), handing each, with its secret, to each.
func (c *Connector) alerts(ctx context.Context, repo string, each func(alert)) error {
	req := restclient.Request{Method: http.MethodGet, Header: headers,
		Path:  "/repos/" + repo + "/secret-scanning/alerts",
		Query: url.Values{"per_page": {"100"}}}
	return c.api.Pages(ctx, req, func(r *restclient.Response) (string, error) {
		return restclient.NextLink(r.Header), nil
	}, func(r *restclient.Response) error {
		var page []alert
		if err := r.JSON(&page); err != nil {
			return err
		}
		for _, a := range page {
			a.Repo = repo
			each(a)
		}
		return nil
	})
}

// Alerts lists a repository's secret scanning alerts, without secrets.
func (c *Connector) Alerts(ctx context.Context, repo string) ([]Alert, error) {
	if !validRepo(repo) {
		return nil, fmt.Errorf("github: %q is not owner/repo", repo)
	}
	var out []Alert
	err := c.alerts(ctx, repo, func(a alert) { out = append(out, a.Alert) })
	return out, err
}

// Verify reads the alert back: GitHub's validity check says whether the
// token still works (inactive: Confirmed; active: Failed); without a
// verdict from GitHub the revocation is Requested.
func (c *Connector) Verify(ctx context.Context, req connectors.Request) connectors.Verification {
	a, res, ok := c.findAlert(ctx, req.Credential)
	ev := func(s string) connectors.Verification {
		return connectors.Verification{At: time.Now().UTC(), Evidence: s,
			Check: map[string]connectors.Check{"inactive": connectors.Confirmed,
				"active": connectors.Failed}[a.Validity]}
	}
	if !ok {
		return connectors.Verification{Check: connectors.Requested,
			Evidence: res.String(), At: time.Now().UTC()}
	}
	v := ev(fmt.Sprintf("alert %s: state %s, resolution %s, validity %s",
		a.ref(), a.State, a.Resolution, a.Validity))
	if v.Check == "" {
		v.Check = connectors.Requested
	}
	return v
}

// CheckCredential reads the credential's secret scanning alert: GitHub's
// validity check says whether the token still works (active or
// inactive); "unknown" is connectors.ErrValidityUnknown. An alert
// resolved as revoked is inactive whatever its validity says.
func (c *Connector) CheckCredential(ctx context.Context,
	cr store.Credential) (connectors.Validity, error) {
	a, res, ok := c.findAlert(ctx, &cr)
	switch {
	case !ok:
		return connectors.Validity{}, fmt.Errorf("github: read the alert "+
			"of credential %s: %s", cr.ID, res)
	case a.State == "resolved" && a.Resolution == "revoked":
		return connectors.Validity{}, nil
	case a.Validity == "active":
		return connectors.Validity{Active: true}, nil
	case a.Validity == "inactive":
		return connectors.Validity{}, nil
	}
	return connectors.Validity{}, fmt.Errorf("github: alert %s says %q: %w",
		a.ref(), a.Validity, connectors.ErrValidityUnknown)
}
