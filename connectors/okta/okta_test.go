package okta

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

const testToken = "00oktaApiToken-SECRET-value"

var alice = []store.Alias{{Type: "okta_user_id", Value: "00u1", PrincipalID: "p1"}}

func setup(t *testing.T) (*fakeOkta, *connectortest.Server) {
	f := newFakeOkta(testToken)
	return f, connectortest.NewServer(t, f.handler())
}

func connect(srv *connectortest.Server, http restclient.Config,
	log *slog.Logger) (*Connector, error) {
	http.BaseURL = srv.URL
	return New("okta-test", "okta", Config{HTTP: http,
		Token: restclient.NewSecret(testToken)}, log)
}

func fixture(t *testing.T) *connectortest.Fixture {
	f, srv := setup(t)
	return &connectortest.Fixture{Server: srv, Secret: testToken,
		Connect: func(h restclient.Config, log *slog.Logger) (connectors.Connector, error) {
			return connect(srv, h, log)
		},
		Revoke: connectors.Request{Op: connectors.OpRevokeSession,
			Principal: store.Principal{ID: "p1"}, Aliases: alice,
			Session: &store.Session{ID: "s1", ExternalID: "102s1"}},
		Effects: f.count,
		TooMany: `{"errorCode":"E0000047",` +
			`"errorSummary":"API call exceeded rate limit due to too many requests."}`,
		ServerError: `{"errorCode":"E0000009","errorSummary":"Internal Server Error"}`,
		Throttle: func(until time.Time) (connectortest.Fault, time.Time) {
			reset := until.Add(time.Second - 1).Truncate(time.Second)
			return connectortest.Fault{Status: 429, Header: http.Header{
				"X-Rate-Limit-Limit":     {"600"},
				"X-Rate-Limit-Remaining": {"0"},
				"X-Rate-Limit-Reset":     {fmt.Sprint(reset.Unix())}},
				Body: `{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit"}`,
			}, reset
		},
		Unaddressable: []connectors.Request{
			{Op: connectors.OpDisablePrincipal, Principal: store.Principal{ID: "p9"}},
			{Op: connectors.OpRevokeSession, Principal: store.Principal{ID: "p9"},
				Session: &store.Session{ID: "s9"}},
			{Op: connectors.OpRevokeCredential, Principal: store.Principal{ID: "p1"},
				Aliases: alice, Credential: &store.Credential{ID: "c1",
					Kind: "password", ExternalID: "x"}},
		},
		Paging: &connectortest.Paging{
			Seed: func(n int) { f.seedTokens("00u1", n) },
			List: func(ctx context.Context, c connectors.Connector) (int, error) {
				l, err := c.(*Connector).List(ctx, store.Principal{ID: "p1"}, alice)
				return len(l.Credentials), err
			},
		},
	}
}

func TestScenarios(t *testing.T) {
	connectortest.Run(t, fixture)
}

func newConnector(t *testing.T) (*fakeOkta, *Connector) {
	f, srv := setup(t)
	c, err := connect(srv, restclient.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func TestRevokingASessionWithoutAnOktaIdClearsAllWithTokens(t *testing.T) {
	f, c := newConnector(t)
	f.seedTokens("00u1", 1)
	res := c.Revoke(context.Background(), connectors.Request{
		Op: connectors.OpRevokeSession, Aliases: alice, RevokeTokens: true,
		Session: &store.Session{ID: "s1"}})
	if res.Outcome != connectors.Done {
		t.Fatalf("got %s", res)
	}
	if !slices.Contains(f.queries, "DELETE /api/v1/users/00u1/sessions?oauthTokens=true") {
		t.Fatalf("no clear with oauthTokens=true in %v", f.queries)
	}
	if len(f.sessions) != 0 || len(f.tokens["00u1"]) != 0 {
		t.Fatal("sessions or tokens survived")
	}
}

func TestSuspendReadsTheUserFirst(t *testing.T) {
	cases := []struct {
		name   string
		status string
		want   connectors.Outcome
		posts  int
	}{
		{"An active user is suspended", "ACTIVE", connectors.Done, 1},
		{"A suspended user is already done without a call", "SUSPENDED",
			connectors.AlreadyDone, 0},
		{"A deactivated user is already done", "DEPROVISIONED",
			connectors.AlreadyDone, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, c := newConnector(t)
			f.users["00u1"].Status = tc.status
			res := c.Revoke(context.Background(), connectors.Request{
				Op: connectors.OpDisablePrincipal, Aliases: []store.Alias{
					{Type: "email", Value: "alice@example.com"}}})
			posts := 0
			for _, q := range f.queries {
				if strings.HasPrefix(q, "POST") {
					posts++
				}
			}
			if res.Outcome != tc.want || posts != tc.posts {
				t.Fatalf("got %s with %d suspend calls", res, posts)
			}
		})
	}
}

func TestUnknownUserIsPermanentNotAlreadyDone(t *testing.T) {
	_, c := newConnector(t)
	res := c.Revoke(context.Background(), connectors.Request{
		Op: connectors.OpRevokeSession, Session: &store.Session{ID: "s1"},
		Aliases: []store.Alias{{Type: "okta_user_id", Value: "00uTypo"}}})
	if res.Outcome != connectors.Permanent || res.VendorCode != "E0000007" {
		t.Fatalf("got %s (code %q)", res, res.VendorCode)
	}
}

func TestRefreshTokenIsRevokedAndVerified(t *testing.T) {
	f, c := newConnector(t)
	f.seedTokens("00u1", 2)
	req := connectors.Request{Op: connectors.OpRevokeCredential, Aliases: alice,
		Credential: &store.Credential{ID: "c1", Kind: "refresh_token",
			ExternalID: "0oaApp/oar1"}}
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.Done {
		t.Fatalf("got %s", res)
	}
	if len(f.tokens["00u1"]) != 1 || f.tokens["00u1"][0].ID != "oar0" {
		t.Fatalf("tokens left: %v", f.tokens["00u1"])
	}
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.AlreadyDone {
		t.Fatalf("second revoke: %s", res)
	}
}

func TestVerifyASessionRevocation(t *testing.T) {
	f, c := newConnector(t)
	req := connectors.Request{Op: connectors.OpRevokeSession, Aliases: alice,
		Session: &store.Session{ID: "s1", ExternalID: "102s1"}}
	if v := c.Verify(context.Background(), req); v.Check != connectors.Failed {
		t.Fatalf("live session verified as %s (%s)", v.Check, v.Evidence)
	}
	c.Revoke(context.Background(), req)
	if v := c.Verify(context.Background(), req); v.Check != connectors.Confirmed {
		t.Fatalf("revoked session verified as %s (%s)", v.Check, v.Evidence)
	}
	_ = f
}

func TestListGivesRefreshTokensWithDates(t *testing.T) {
	f, c := newConnector(t)
	f.seedTokens("00u1", 3)
	l, err := c.List(context.Background(), store.Principal{ID: "p1"}, alice)
	if err != nil || !l.CredentialsListed || len(l.Credentials) != 3 {
		t.Fatalf("listing %+v, %v", l, err)
	}
	cr := l.Credentials[2]
	if cr.ExternalID != "0oaApp/oar2" || cr.ExpiresAt.IsZero() || cr.Store != "okta" {
		t.Fatalf("credential %+v", cr)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"A missing token", Config{HTTP: restclient.Config{BaseURL: "https://x.okta.com"}}, "token"},
		{"A relative base URL", Config{HTTP: restclient.Config{BaseURL: "okta"},
			Token: restclient.NewSecret("t")}, "base_url"},
		{"An unknown scheme", Config{HTTP: restclient.Config{BaseURL: "https://x.okta.com"},
			Token: restclient.NewSecret("t"), Scheme: "basic"}, "scheme"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.WithDefaults().Validate()
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %s", err, tc.want)
			}
		})
	}
}
