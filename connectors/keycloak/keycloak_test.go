package keycloak

import (
	"context"
	"log/slog"
	"testing"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

const testToken = "eyJhbGciOi.keycloak-SECRET-token"

var alice = []store.Alias{{Type: "keycloak_user_id", Value: "u1"}}

func setup(t *testing.T) (*fakeKeycloak, *connectortest.Server, *Connector) {
	f := newFakeKeycloak(testToken)
	srv := connectortest.NewServer(t, f.handler())
	c, err := connect(srv, restclient.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, srv, c
}

func connect(srv *connectortest.Server, h restclient.Config, log *slog.Logger) (*Connector, error) {
	h.BaseURL = srv.URL
	return New("kc-test", "keycloak", Config{HTTP: h, Realm: "r1",
		Token: restclient.NewSecret(testToken)}, log)
}

func fixture(t *testing.T) *connectortest.Fixture {
	f, srv, _ := setup(t)
	return &connectortest.Fixture{Server: srv, Secret: testToken,
		Connect: func(h restclient.Config, log *slog.Logger) (connectors.Connector, error) {
			return connect(srv, h, log)
		},
		Revoke: connectors.Request{Op: connectors.OpRevokeSession, Aliases: alice,
			Session: &store.Session{ID: "k1", ExternalID: "s2"}},
		Effects:     f.count,
		ServerError: `{"error":"unknown_error"}`,
		Unaddressable: []connectors.Request{
			{Op: connectors.OpRevokeSession, Session: &store.Session{ID: "k9"}},
			{Op: connectors.OpDisablePrincipal},
			{Op: connectors.OpRevokeCredential, Aliases: alice,
				Credential: &store.Credential{ID: "c1", Kind: "password", ExternalID: "x"}},
		},
	}
}

func TestScenarios(t *testing.T) {
	connectortest.Run(t, fixture)
}

func TestRevokeAllCoversOfflineTokens(t *testing.T) {
	f, _, c := setup(t)
	req := connectors.Request{Op: connectors.OpRevokeSession, Aliases: alice,
		RevokeTokens: true, Session: &store.Session{ID: "k1"}}
	if v := c.Verify(context.Background(), req); v.Check != connectors.Failed {
		t.Fatalf("before: %s", v.Check)
	}
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.Done {
		t.Fatalf("got %s", res)
	}
	if len(f.online) != 0 || len(f.offline) != 0 || len(f.consents["u1"]) != 0 {
		t.Fatalf("left: online %v offline %v consents %v", f.online, f.offline,
			f.consents["u1"])
	}
	if v := c.Verify(context.Background(), req); v.Check != connectors.Confirmed {
		t.Fatalf("after: %s (%s)", v.Check, v.Evidence)
	}
}

func TestOneSessionWithTokensDeletesItsOfflineTwin(t *testing.T) {
	f, _, c := setup(t)
	req := connectors.Request{Op: connectors.OpRevokeSession, Aliases: alice,
		RevokeTokens: true, Session: &store.Session{ID: "k1", ExternalID: "s1"}}
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.Done {
		t.Fatalf("got %s", res)
	}
	if _, ok := f.offline["s1"]; ok {
		t.Fatal("the offline session survived")
	}
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.AlreadyDone {
		t.Fatalf("again: %s", res)
	}
}

func TestServiceAccountUserIsDisabled(t *testing.T) {
	f, _, c := setup(t)
	req := connectors.Request{Op: connectors.OpDisablePrincipal,
		Aliases: []store.Alias{{Type: "keycloak_client_id", Value: "ci"}}}
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.Done ||
		f.users["sa"].Enabled {
		t.Fatalf("got %s", res)
	}
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.AlreadyDone {
		t.Fatalf("again: %s", res)
	}
}

func TestUnknownUserIsPermanent(t *testing.T) {
	_, _, c := setup(t)
	res := c.Revoke(context.Background(), connectors.Request{Op: connectors.OpRevokeSession,
		Aliases: []store.Alias{{Type: "keycloak_user_id", Value: "nobody"}},
		Session: &store.Session{ID: "k1"}})
	if res.Outcome != connectors.Permanent {
		t.Fatalf("got %s", res)
	}
}

func TestListSessionsAndOfflineTokens(t *testing.T) {
	_, _, c := setup(t)
	l, err := c.List(context.Background(), store.Principal{ID: "p1"},
		[]store.Alias{{Type: "username", Value: "alice"}})
	if err != nil || len(l.Sessions) != 2 || len(l.Credentials) != 1 {
		t.Fatalf("listing %+v, %v", l, err)
	}
	if l.Sessions[0].CreatedAt.Year() != 2025 || l.Credentials[0].ExternalID != "mobile" {
		t.Fatalf("listing %+v", l)
	}
}
