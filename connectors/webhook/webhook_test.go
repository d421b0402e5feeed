package webhook

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

const (
	signingKey = "0123456789abcdef0123456789abcdef-SIGNING"
	token      = "hook-bearer-SECRET-token"
)

// receiver is a webhook endpoint as the package documents it: it checks
// the signature and bearer token, refuses what it cannot handle with 422,
// and answers a repeated idempotency key with 409.
type receiver struct {
	mu      sync.Mutex
	seen    map[string]bool
	effects int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("Authorization") != "Bearer "+token ||
		Check([]byte(signingKey), r.Header, body, time.Now(), time.Minute) != nil {
		w.WriteHeader(401)
		w.Write([]byte(`{"error":"invalid_signature"}`))
		return
	}
	var p Payload
	json.Unmarshal(body, &p)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	switch {
	case p.ID != r.Header.Get("Idempotency-Key"):
		w.WriteHeader(400)
	case len(p.Aliases) == 0:
		w.WriteHeader(422)
		w.Write([]byte(`{"error":"no_account","message":"no account for this principal"}`))
	case rc.seen[p.ID]:
		w.WriteHeader(409)
		w.Write([]byte(`{"error":"already_done"}`))
	default:
		rc.seen[p.ID] = true
		rc.effects++
		w.WriteHeader(202)
	}
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.effects
}

var req = connectors.Request{Op: connectors.OpRevokeSession,
	Principal: store.Principal{ID: "p1", Kind: store.KindHuman},
	Aliases:   []store.Alias{{Type: "email", Value: "alice@example.com"}},
	Session:   &store.Session{ID: "s1", Provider: "legacy-app"}}

func connect(srv *connectortest.Server, h restclient.Config, log *slog.Logger) (*Connector, error) {
	h.BaseURL = srv.URL + "/killswitch"
	return New("hook-test", "legacy-app", Config{HTTP: h,
		SigningKey: restclient.NewSecret(signingKey), Token: restclient.NewSecret(token)}, log)
}

func fixture(t *testing.T) *connectortest.Fixture {
	rc := &receiver{seen: map[string]bool{}}
	srv := connectortest.NewServer(t, rc)
	return &connectortest.Fixture{Server: srv, Secret: token,
		Connect: func(h restclient.Config, log *slog.Logger) (connectors.Connector, error) {
			return connect(srv, h, log)
		},
		Revoke: req, Effects: rc.count,
		Unaddressable: []connectors.Request{{Op: connectors.OpDisablePrincipal,
			Principal: store.Principal{ID: "p2"}}},
	}
}

func TestScenarios(t *testing.T) {
	connectortest.Run(t, fixture)
}

func TestSignatureCoversTimestampAndBody(t *testing.T) {
	key, body, ts := []byte(signingKey), []byte(`{"a":1}`), time.Unix(1700000000, 0)
	h := http.Header{TimestampHeader: {"1700000000"}, SignatureHeader: {Sign(key, ts, body)}}
	cases := []struct {
		name string
		body []byte
		now  time.Time
		ok   bool
	}{
		{"The signed body at its time passes", body, ts, true},
		{"Another body fails", []byte(`{"a":2}`), ts, false},
		{"A replay an hour later fails", body, ts.Add(time.Hour), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := Check(key, h, tc.body, tc.now, time.Minute); (err == nil) != tc.ok {
				t.Fatalf("Check = %v", err)
			}
		})
	}
}

func TestSigningKeyNeverLeaks(t *testing.T) {
	srv := connectortest.NewServer(t, &receiver{seen: map[string]bool{}})
	srv.Storm(connectortest.Fault{Status: 500, Echo: true, Body: `{"message":"{{headers}}"}`})
	log, buf := connectortest.Logger()
	c, err := connect(srv, restclient.Config{Retry: restclient.RetryConfig{Attempts: 1}}, log)
	if err != nil {
		t.Fatal(err)
	}
	res := c.Revoke(context.Background(), req)
	text := res.String() + buf.String()
	if res.Succeeded() || strings.Contains(text, signingKey) || strings.Contains(text, token) {
		t.Fatalf("got %s; text %s", res, text)
	}
}

func TestShortSigningKeyIsRefused(t *testing.T) {
	err := Config{HTTP: restclient.Config{BaseURL: "https://h.example.com"},
		SigningKey: restclient.NewSecret("short")}.WithDefaults().Validate()
	if err == nil || err.Error() != "signing_key: 5 bytes, want at least 32" {
		t.Fatalf("got %v", err)
	}
}
