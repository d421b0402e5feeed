package google

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

const testToken = "ya29.google-SECRET-token"

var alice = []store.Alias{{Type: "email", Value: "alice@example.com"}}

func setup(t *testing.T) (*fakeDirectory, *connectortest.Server, *Connector) {
	f := newFakeDirectory(testToken)
	srv := connectortest.NewServer(t, f.handler())
	c, err := connect(srv, restclient.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, srv, c
}

func connect(srv *connectortest.Server, h restclient.Config, log *slog.Logger) (*Connector, error) {
	h.BaseURL = srv.URL + "/admin/directory/v1"
	return New("google-test", "google", Config{HTTP: h, Token: restclient.NewSecret(testToken)}, log)
}

func fixture(t *testing.T) *connectortest.Fixture {
	f, srv, _ := setup(t)
	return &connectortest.Fixture{Server: srv, Secret: testToken,
		Connect: func(h restclient.Config, log *slog.Logger) (connectors.Connector, error) {
			return connect(srv, h, log)
		},
		Revoke: connectors.Request{Op: connectors.OpRevokeSession, Aliases: alice,
			Session: &store.Session{ID: "g1"}},
		Effects: f.count,
		TooMany: `{"error":{"code":429,"message":"Too Many Requests",` +
			`"errors":[{"domain":"global","reason":"rateLimitExceeded"}]}}`,
		ServerError: `{"error":{"code":500,"message":"Backend Error",` +
			`"errors":[{"domain":"global","reason":"backendError"}]}}`,
		Throttle: func(time.Time) (connectortest.Fault, time.Time) {
			return connectortest.Fault{Status: 403, Body: `{"error":{"code":403,` +
				`"message":"Quota exceeded for quota metric","errors":[{"domain":"usageLimits",` +
				`"reason":"userRateLimitExceeded","message":"User Rate Limit Exceeded"}]}}`}, time.Time{}
		},
		Unaddressable: []connectors.Request{
			{Op: connectors.OpRevokeSession, Session: &store.Session{ID: "g9"}},
			{Op: connectors.OpRevokeCredential, Aliases: alice,
				Credential: &store.Credential{ID: "c1", Kind: "password", ExternalID: "x"}},
		},
	}
}

func TestScenarios(t *testing.T) {
	connectortest.Run(t, fixture)
}

func TestSignOutWithTokensDeletesEveryClientsToken(t *testing.T) {
	f, _, c := setup(t)
	res := c.Revoke(context.Background(), connectors.Request{Op: connectors.OpRevokeSession,
		Aliases: alice, RevokeTokens: true, Session: &store.Session{ID: "g1"}})
	if res.Outcome != connectors.Done || f.signOuts != 1 || len(f.users["1001"].Tokens) != 0 {
		t.Fatalf("got %s; %d sign-outs, tokens %v", res, f.signOuts, f.users["1001"].Tokens)
	}
}

func TestSuspendReadsTheUserFirst(t *testing.T) {
	f, _, c := setup(t)
	req := connectors.Request{Op: connectors.OpDisablePrincipal, Aliases: alice}
	first, second := c.Revoke(context.Background(), req), c.Revoke(context.Background(), req)
	if first.Outcome != connectors.Done || second.Outcome != connectors.AlreadyDone || f.count() != 1 {
		t.Fatalf("first %s second %s", first, second)
	}
	if v := c.Verify(context.Background(), req); v.Check != connectors.Confirmed {
		t.Fatalf("verified as %s", v.Check)
	}
}

func TestUnknownUserIsPermanent(t *testing.T) {
	_, _, c := setup(t)
	res := c.Revoke(context.Background(), connectors.Request{Op: connectors.OpRevokeSession,
		Aliases: []store.Alias{{Type: "email", Value: "nobody@example.com"}}})
	if res.Outcome != connectors.Permanent || res.VendorCode != "notFound" {
		t.Fatalf("got %s code %q", res, res.VendorCode)
	}
}

func TestListTokensAndAppPasswords(t *testing.T) {
	_, _, c := setup(t)
	l, err := c.List(context.Background(), store.Principal{ID: "p1"}, alice)
	if err != nil || len(l.Credentials) != 2 || l.Credentials[1].CreatedAt.Year() != 2025 {
		t.Fatalf("listing %+v, %v", l, err)
	}
}

func TestServiceAccountKeyGetsATokenByJWTBearer(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	var claims map[string]any
	tokSrv := connectortest.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		parts := strings.Split(r.Form.Get("assertion"), ".")
		if r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || len(parts) != 3 {
			w.WriteHeader(400)
			return
		}
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(payload, &claims)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"` + testToken + `","token_type":"Bearer","expires_in":3600}`))
	}))
	f := newFakeDirectory(testToken)
	srv := connectortest.NewServer(t, f.handler())
	sa, _ := json.Marshal(map[string]string{"type": "service_account",
		"client_email": "ks@proj.iam.gserviceaccount.com", "private_key": pemKey,
		"token_uri": tokSrv.URL})
	c, err := New("google-test", "google", Config{
		HTTP:              restclient.Config{BaseURL: srv.URL + "/admin/directory/v1"},
		ServiceAccountKey: restclient.NewSecret(string(sa)), Subject: "admin@example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := c.Revoke(context.Background(), connectors.Request{Op: connectors.OpDisablePrincipal, Aliases: alice})
	if res.Outcome != connectors.Done || claims["sub"] != "admin@example.com" ||
		!strings.Contains(claims["scope"].(string), "admin.directory.user.security") {
		t.Fatalf("got %s with claims %v", res, claims)
	}
}

func TestConfigRefusesAKeyThatIsNotOne(t *testing.T) {
	err := Config{Subject: "a@b", ServiceAccountKey: restclient.NewSecret(`{"x":1}`)}.
		WithDefaults().Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "service_account_key:") ||
		strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("got %v", err)
	}
}
