package github

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

const (
	apiToken = "ghs_API-SECRET-installation-token"
	leaked   = "ghp_LEAKEDtoken0123456789abcdefghijklmnop"
)

func exposed(secret string) connectors.Request {
	return connectors.Request{Op: connectors.OpRevokeCredential,
		Credential: &store.Credential{ID: "c1", Kind: "api_token", Store: "github",
			Fingerprint: fingerprint(secret),
			Exposure:    &store.Exposure{Source: "github_secret_scanning", Where: "octo/app"}}}
}

func setup(t *testing.T) (*fakeGitHub, *connectortest.Server, *Connector) {
	f := newFakeGitHub(apiToken)
	f.addAlert("octo/app", "ghp_otherOTHERother0000000000000000000")
	f.addAlert("octo/app", leaked)
	srv := connectortest.NewServer(t, f.handler())
	c, err := connect(srv, restclient.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, srv, c
}

func connect(srv *connectortest.Server, h restclient.Config, log *slog.Logger) (*Connector, error) {
	h.BaseURL = srv.URL
	return New("github-test", "github", Config{HTTP: h, Token: restclient.NewSecret(apiToken)}, log)
}

func fixture(t *testing.T) *connectortest.Fixture {
	f, srv, _ := setup(t)
	return &connectortest.Fixture{Server: srv, Secret: apiToken,
		Connect: func(h restclient.Config, log *slog.Logger) (connectors.Connector, error) {
			return connect(srv, h, log)
		},
		Revoke:  exposed(leaked),
		Effects: f.count,
		TooMany: `{"message":"API rate limit exceeded",` +
			`"documentation_url":"https://docs.github.com/rest/rate-limit"}`,
		ServerError: `{"message":"Server Error"}`,
		Throttle: func(until time.Time) (connectortest.Fault, time.Time) {
			reset := until.Add(time.Second - 1).Truncate(time.Second)
			return connectortest.Fault{Status: 403, Header: http.Header{
				"X-Ratelimit-Limit": {"5000"}, "X-Ratelimit-Remaining": {"0"},
				"X-Ratelimit-Used": {"5000"}, "X-Ratelimit-Resource": {"core"},
				"X-Ratelimit-Reset": {fmt.Sprint(reset.Unix())}},
				Body: `{"message":"API rate limit exceeded for installation."}`}, reset
		},
		Unaddressable: []connectors.Request{
			{Op: connectors.OpRevokeSession, Session: &store.Session{ID: "s1"}},
			{Op: connectors.OpDisablePrincipal},
			{Op: connectors.OpRevokeCredential, Credential: &store.Credential{ID: "c9",
				Fingerprint: "sha256:00"}},
		},
		Paging: &connectortest.Paging{
			Seed: func(n int) {
				for i := range n - 2 {
					f.addAlert("octo/app", fmt.Sprintf("ghp_seed%030d", i))
				}
			},
			List: func(ctx context.Context, c connectors.Connector) (int, error) {
				as, err := c.(*Connector).Alerts(ctx, "octo/app")
				return len(as), err
			},
		},
	}
}

func TestScenarios(t *testing.T) {
	connectortest.Run(t, fixture)
}

func TestRevokesThenResolvesTheAlert(t *testing.T) {
	f, _, c := setup(t)
	if res := c.Revoke(context.Background(), exposed(leaked)); res.Outcome != connectors.Done {
		t.Fatalf("got %s", res)
	}
	a := f.alerts["octo/app"][1]
	if !f.revoked[leaked] || a.State != "resolved" || a.Resolution != "revoked" {
		t.Fatalf("revoked %v, alert %s/%s", f.revoked[leaked], a.State, a.Resolution)
	}
	if f.revoked["ghp_otherOTHERother0000000000000000000"] {
		t.Fatal("revoked the wrong token")
	}
	if v := c.Verify(context.Background(), exposed(leaked)); v.Check != connectors.Confirmed {
		t.Fatalf("verified as %s (%s)", v.Check, v.Evidence)
	}
}

func TestAlertNamedByExternalID(t *testing.T) {
	f, _, c := setup(t)
	req := connectors.Request{Op: connectors.OpRevokeCredential,
		Credential: &store.Credential{ID: "c1", ExternalID: "octo/app#2"}}
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.Done || !f.revoked[leaked] {
		t.Fatalf("got %s", res)
	}
}

func TestATokenTheAPICannotRevokeIsUnsupported(t *testing.T) {
	f, _, c := setup(t)
	a := f.addAlert("octo/app", "AKIAIOSFODNN7EXAMPLE")
	a.SecretType = "aws_access_key_id"
	res := c.Revoke(context.Background(), exposed("AKIAIOSFODNN7EXAMPLE"))
	if res.Outcome != connectors.Unsupported || f.count() != 0 {
		t.Fatalf("got %s", res)
	}
}

func TestTheLeakedTokenStaysOutOfErrorsAndLogs(t *testing.T) {
	_, srv, _ := setup(t)
	// The alert is read as GitHub serves it; then every call is refused by
	// a server that quotes the token back.
	srv.Inject(connectortest.Fault{})
	srv.Storm(connectortest.Fault{Status: 422,
		Body: `{"message":"Validation Failed for ` + leaked + `"}`})
	connectortest.NoSecret(t, leaked, srv, func(log *slog.Logger) []any {
		c, err := connect(srv, restclient.Config{}, log)
		if err != nil {
			t.Fatal(err)
		}
		res := c.Revoke(context.Background(), connectors.Request{
			Op:         connectors.OpRevokeCredential,
			Credential: &store.Credential{ID: "c1", ExternalID: "octo/app#2"}})
		if res.Outcome != connectors.Permanent {
			t.Fatalf("got %s, want the 422 as permanent", res)
		}
		return []any{res, res.Err}
	})
}
