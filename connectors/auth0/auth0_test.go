package auth0

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

const testToken = "eyJhbGci.auth0-mgmt-SECRET"

var alice = []store.Alias{{Type: "auth0_user_id", Value: "auth0|1"}}

func setup(t *testing.T) (*fakeAuth0, *connectortest.Server, *Connector) {
	f := newFakeAuth0(testToken)
	srv := connectortest.NewServer(t, f.handler())
	c, err := connect(srv, restclient.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, srv, c
}

func connect(srv *connectortest.Server, h restclient.Config, log *slog.Logger) (*Connector, error) {
	h.BaseURL = srv.URL
	return New("auth0-test", "auth0", Config{HTTP: h, Token: restclient.NewSecret(testToken)}, log)
}

func fixture(t *testing.T) *connectortest.Fixture {
	f, srv, _ := setup(t)
	return &connectortest.Fixture{Server: srv, Secret: testToken,
		Connect: func(h restclient.Config, log *slog.Logger) (connectors.Connector, error) {
			return connect(srv, h, log)
		},
		Revoke: connectors.Request{Op: connectors.OpRevokeSession, Aliases: alice,
			RevokeTokens: true, Session: &store.Session{ID: "a1", ExternalID: "sid1"}},
		Effects: f.count,
		TooMany: `{"statusCode":429,"error":"Too Many Requests",` +
			`"message":"Global limit has been reached","errorCode":"too_many_requests"}`,
		ServerError: `{"statusCode":500,"error":"Internal Server Error","message":"Internal Server Error"}`,
		Throttle: func(until time.Time) (connectortest.Fault, time.Time) {
			reset := until.Add(time.Second - 1).Truncate(time.Second)
			return connectortest.Fault{Status: 429, Header: http.Header{
				"X-Ratelimit-Limit": {"50"}, "X-Ratelimit-Remaining": {"0"},
				"X-Ratelimit-Reset": {fmt.Sprint(reset.Unix())}},
				Body: `{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached"}`}, reset
		},
		Unaddressable: []connectors.Request{
			{Op: connectors.OpDisablePrincipal},
			{Op: connectors.OpRevokeSession, Session: &store.Session{ID: "a9"}},
			{Op: connectors.OpRevokeCredential, Aliases: alice,
				Credential: &store.Credential{ID: "c1", Kind: "password"}},
		},
		Paging: &connectortest.Paging{
			Seed: func(n int) { f.seedSessions("auth0|1", n) },
			List: func(ctx context.Context, c connectors.Connector) (int, error) {
				l, err := c.(*Connector).List(ctx, store.Principal{ID: "p1"}, alice)
				return len(l.Sessions), err
			},
		},
	}
}

func TestScenarios(t *testing.T) {
	connectortest.Run(t, fixture)
}

func TestRevokeAllCutsSessionsAndRefreshTokens(t *testing.T) {
	f, _, c := setup(t)
	req := connectors.Request{Op: connectors.OpRevokeSession, Aliases: alice,
		RevokeTokens: true, Session: &store.Session{ID: "a1"}}
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.Done {
		t.Fatalf("got %s", res)
	}
	if len(f.sessions["auth0|1"]) != 0 || len(f.tokens["auth0|1"]) != 0 {
		t.Fatal("sessions or refresh tokens survived")
	}
	if v := c.Verify(context.Background(), req); v.Check != connectors.Requested {
		t.Fatalf("verified as %s; deletion is asynchronous", v.Check)
	}
}

func TestBlockReadsTheUserFirst(t *testing.T) {
	f, _, c := setup(t)
	req := connectors.Request{Op: connectors.OpDisablePrincipal, Aliases: alice}
	first, second := c.Revoke(context.Background(), req), c.Revoke(context.Background(), req)
	if first.Outcome != connectors.Done || second.Outcome != connectors.AlreadyDone ||
		f.count() != 1 {
		t.Fatalf("first %s, second %s, %d changes", first, second, f.count())
	}
	if v := c.Verify(context.Background(), req); v.Check != connectors.Confirmed {
		t.Fatalf("verified as %s", v.Check)
	}
}

func TestUnknownUserIsPermanentWithAuth0Code(t *testing.T) {
	_, _, c := setup(t)
	res := c.Revoke(context.Background(), connectors.Request{Op: connectors.OpRevokeSession,
		Aliases: []store.Alias{{Type: "user_id", Value: "auth0|typo"}},
		Session: &store.Session{ID: "a1"}})
	if res.Outcome != connectors.Permanent || res.VendorCode != "inexistent_user" {
		t.Fatalf("got %s code %q", res, res.VendorCode)
	}
}

func TestSessionRevokedTwiceIsAlreadyDone(t *testing.T) {
	_, _, c := setup(t)
	req := connectors.Request{Op: connectors.OpRevokeSession, Aliases: alice,
		Session: &store.Session{ID: "a1", ExternalID: "sid2"}}
	c.Revoke(context.Background(), req)
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.AlreadyDone {
		t.Fatalf("got %s", res)
	}
	if v := c.Verify(context.Background(), req); v.Check != connectors.Confirmed {
		t.Fatalf("verified as %s", v.Check)
	}
}
