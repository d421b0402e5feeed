package entra

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

const testToken = "eyJ0eXAiOiJKV1Qi.graph-SECRET-token"

var alice = []store.Alias{{Type: "entra_object_id", Value: "u1"}}

func setup(t *testing.T) (*fakeGraph, *connectortest.Server) {
	f := newFakeGraph(testToken)
	return f, connectortest.NewServer(t, f.handler())
}

func connect(srv *connectortest.Server, h restclient.Config, log *slog.Logger) (*Connector, error) {
	h.BaseURL = srv.URL + "/v1.0"
	return New("entra-test", "entra", Config{HTTP: h,
		Token: restclient.NewSecret(testToken)}, log)
}

func sessionReq(aliases []store.Alias) connectors.Request {
	return connectors.Request{Op: connectors.OpRevokeSession, Aliases: aliases,
		Session: &store.Session{ID: "s1",
			CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}}
}

func fixture(t *testing.T) *connectortest.Fixture {
	f, srv := setup(t)
	return &connectortest.Fixture{Server: srv, Secret: testToken,
		Connect: func(h restclient.Config, log *slog.Logger) (connectors.Connector, error) {
			return connect(srv, h, log)
		},
		Revoke:  sessionReq(alice),
		Effects: f.count,
		TooMany: `{"error":{"code":"TooManyRequests",` +
			`"message":"Too many requests","innerError":{"request-id":"r"}}}`,
		ServerError: `{"error":{"code":"UnknownError","message":"","innerError":{"request-id":"r"}}}`,
		Unaddressable: []connectors.Request{
			sessionReq(nil),
			{Op: connectors.OpRevokeCredential, Aliases: alice,
				Credential: &store.Credential{ID: "c1", Kind: "client_secret", ExternalID: "k1"}},
			{Op: connectors.OpRevokeCredential, Aliases: alice,
				Credential: &store.Credential{ID: "c2", Kind: "certificate", ExternalID: "sp1/k1"}},
		},
		Paging: &connectortest.Paging{
			Seed: func(n int) { f.seedOwned("u1", n) },
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

func newConnector(t *testing.T, cfg Config) (*fakeGraph, *Connector) {
	f, srv := setup(t)
	cfg.HTTP.BaseURL = srv.URL + "/v1.0"
	cfg.Token = restclient.NewSecret(testToken)
	c, err := New("entra-test", "entra", cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func TestSessionRevocationIsOnlyRequested(t *testing.T) {
	_, c := newConnector(t, Config{})
	req := sessionReq(alice)
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.Done {
		t.Fatalf("got %s", res)
	}
	if v := c.Verify(context.Background(), req); v.Check != connectors.Requested {
		t.Fatalf("verified as %s (%s); revokeSignInSessions is eventual", v.Check, v.Evidence)
	}
}

func TestGuestSessionsAreRoutedNotSilentlyDone(t *testing.T) {
	guest := []store.Alias{{Type: "upn", Value: "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com"}}
	t.Run("A guest is disabled in this tenant", func(t *testing.T) {
		f, c := newConnector(t, Config{})
		res := c.Revoke(context.Background(), sessionReq(guest))
		if res.Outcome != connectors.Done || f.users["g1"].AccountEnabled {
			t.Fatalf("got %s; guest enabled: %v", res, f.users["g1"].AccountEnabled)
		}
		if !f.users["g1"].SessionsValidFrom.IsZero() {
			t.Fatal("revokeSignInSessions was called for a guest")
		}
	})
	t.Run("A guest is refused when so configured", func(t *testing.T) {
		f, c := newConnector(t, Config{GuestSessions: "unsupported"})
		res := c.Revoke(context.Background(), sessionReq(guest))
		if res.Outcome != connectors.Unsupported || f.count() != 0 {
			t.Fatalf("got %s with %d changes", res, f.count())
		}
	})
}

func TestClientSecretRemovalReadsBack(t *testing.T) {
	f, c := newConnector(t, Config{})
	req := connectors.Request{Op: connectors.OpRevokeCredential,
		Credential: &store.Credential{ID: "c1", Kind: "client_secret", ExternalID: "sp1/k1"}}
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.Done {
		t.Fatalf("got %s", res)
	}
	if res := c.Revoke(context.Background(), req); res.Outcome != connectors.AlreadyDone {
		t.Fatalf("second: %s", res)
	}
	if v := c.Verify(context.Background(), req); v.Check != connectors.Confirmed {
		t.Fatalf("verified as %s", v.Check)
	}
	if f.count() != 1 {
		t.Fatalf("%d changes", f.count())
	}
}

func TestDisableUnknownUserIsPermanent(t *testing.T) {
	_, c := newConnector(t, Config{})
	res := c.Revoke(context.Background(), connectors.Request{Op: connectors.OpDisablePrincipal,
		Aliases: []store.Alias{{Type: "entra_object_id", Value: "nobody"}}})
	if res.Outcome != connectors.Permanent || res.VendorCode != "Request_ResourceNotFound" ||
		res.RequestID != "rid-1" {
		t.Fatalf("got %s code %q request %q", res, res.VendorCode, res.RequestID)
	}
}

func TestClientCredentialsAreFetchedOnce(t *testing.T) {
	var calls int
	tok := connectortest.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		r.ParseForm()
		if r.Form.Get("grant_type") != "client_credentials" ||
			r.Form.Get("scope") != "https://graph.microsoft.com/.default" {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"` + testToken + `","token_type":"Bearer","expires_in":3600}`))
	}))
	f, srv := setup(t)
	c, err := New("entra-test", "entra", Config{HTTP: restclient.Config{BaseURL: srv.URL + "/v1.0"},
		TenantID: "t1", ClientID: "app", ClientSecret: restclient.NewSecret("cs-SECRET-1"),
		TokenURL: tok.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if res := c.Revoke(context.Background(), connectors.Request{
			Op: connectors.OpDisablePrincipal, Aliases: alice}); !res.Succeeded() {
			t.Fatalf("got %s", res)
		}
	}
	if calls != 1 || f.users["u1"].AccountEnabled {
		t.Fatalf("%d token calls; enabled %v", calls, f.users["u1"].AccountEnabled)
	}
}
