package oauth2

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

const (
	clientSecret = "client-SECRET-value-42"
	accessToken  = "at-LIVE-access-token-0001"
)

// authServer is an RFC 7009 / 7662 server: HTTP Basic client
// authentication (401 invalid_client otherwise), 200 for any revocation
// of a well-formed request whatever the token, {"active":false} alone for
// a token it does not know as active.
type authServer struct {
	mu      sync.Mutex
	active  map[string]bool
	effects int
}

func (a *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != "ks" || secret != clientSecret {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		w.Write([]byte(`{"error":"invalid_client"}`))
		return
	}
	if r.ParseForm() != nil || r.PostForm.Get("token") == "" {
		w.WriteHeader(400)
		w.Write([]byte(`{"error":"invalid_request"}`))
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	tok := r.PostForm.Get("token")
	switch r.URL.Path {
	case "/oauth2/revoke":
		if r.PostForm.Get("token_type_hint") == "device_secret" {
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"unsupported_token_type"}`))
			return
		}
		if a.active[tok] {
			a.active[tok] = false
			a.effects++
		}
		w.WriteHeader(200)
	case "/oauth2/introspect":
		w.Header().Set("Content-Type", "application/json")
		if !a.active[tok] {
			w.Write([]byte(`{"active":false}`))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"active": true, "sub": "alice",
			"exp": 1900000000, "client_id": "web", "token_type": "Bearer"})
	}
}

func (a *authServer) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.effects
}

func connect(srv *connectortest.Server, h restclient.Config, log *slog.Logger) (*Connector, error) {
	h.BaseURL = srv.URL + "/oauth2/revoke"
	return New("oauth-test", "idp", Config{HTTP: h, ClientID: "ks",
		ClientSecret:     restclient.NewSecret(clientSecret),
		IntrospectionURL: srv.URL + "/oauth2/introspect"}, log)
}

// holder is a caller holding the token: what the suite revokes through.
type holder struct{ *Connector }

func (h holder) Revoke(ctx context.Context, _ connectors.Request) connectors.Result {
	return h.RevokeToken(ctx, restclient.NewSecret(accessToken), "access_token")
}

func setup(t *testing.T) (*authServer, *connectortest.Server) {
	a := &authServer{active: map[string]bool{accessToken: true}}
	return a, connectortest.NewServer(t, a)
}

func fixture(t *testing.T) *connectortest.Fixture {
	a, srv := setup(t)
	return &connectortest.Fixture{Server: srv, Secret: clientSecret,
		Connect: func(h restclient.Config, log *slog.Logger) (connectors.Connector, error) {
			c, err := connect(srv, h, log)
			return holder{c}, err
		},
		Revoke:      connectors.Request{Op: connectors.OpRevokeCredential},
		Effects:     a.count,
		ServerError: `{"error":"temporarily_unavailable"}`,
	}
}

func TestScenarios(t *testing.T) {
	connectortest.Run(t, fixture)
}

func TestIntrospectionSaysInactiveAfterRevocation(t *testing.T) {
	_, srv := setup(t)
	c, err := connect(srv, restclient.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	before, err := c.Validate(ctx, accessToken)
	if err != nil || !before.Active || before.Subject != "alice" || before.ExpiresAt.IsZero() {
		t.Fatalf("before: %+v, %v", before, err)
	}
	if res := c.RevokeToken(ctx, restclient.NewSecret(accessToken), ""); res.Outcome != connectors.Done {
		t.Fatalf("revoke: %s", res)
	}
	after, err := c.Validate(ctx, accessToken)
	if err != nil || after.Active {
		t.Fatalf("after: %+v, %v", after, err)
	}
}

func TestUnsupportedTokenTypeIsUnsupported(t *testing.T) {
	_, srv := setup(t)
	c, _ := connect(srv, restclient.Config{}, nil)
	res := c.RevokeToken(context.Background(), restclient.NewSecret("x-device"), "device_secret")
	if res.Outcome != connectors.Unsupported {
		t.Fatalf("got %s", res)
	}
}

func TestTheEnginesRequestsAreUnsupported(t *testing.T) {
	_, srv := setup(t)
	c, _ := connect(srv, restclient.Config{}, nil)
	res := c.Revoke(context.Background(), connectors.Request{Op: connectors.OpRevokeCredential,
		Credential: &store.Credential{ID: "c1", Fingerprint: "sha256:ab"}})
	if res.Outcome != connectors.Unsupported || srv.Count() != 0 {
		t.Fatalf("got %s after %d calls", res, srv.Count())
	}
}

func TestTheTokenNeverLeaks(t *testing.T) {
	_, srv := setup(t)
	srv.Storm(connectortest.Fault{Status: 400, Body: `{"error":"invalid_request",` +
		`"error_description":"bad token ` + accessToken + `"}`})
	connectortest.NoSecret(t, accessToken, srv, func(log *slog.Logger) []any {
		c, _ := connect(srv, restclient.Config{}, log)
		res := c.RevokeToken(context.Background(), restclient.NewSecret(accessToken), "")
		_, err := c.Validate(context.Background(), accessToken)
		return []any{res, res.Err, err}
	})
}
