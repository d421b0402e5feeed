package kratos

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/peertest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// The shared scenarios run against the real Kratos, with the fault
// injector of connectortest in front of its admin API.
func TestScenariosAgainstTheRealKratos(t *testing.T) {
	k := peertest.StartKratos(t)
	var n atomic.Int64
	connectortest.Run(t, func(t *testing.T) *connectortest.Fixture {
		email := fmt.Sprintf("user%d@example.com", n.Add(1))
		return fixture(t, k, email)
	})
}

// setup serialises the scenarios' writes to Kratos, whose in-memory
// SQLite may refuse concurrent ones.
var setup sync.Mutex

func loginLocked(t *testing.T, k *peertest.Kratos, email string) peertest.Session {
	setup.Lock()
	defer setup.Unlock()
	return k.Login(t, email, password)
}

// fixture is one fresh identity, logged in once, behind a fault
// injector that counts the sessions it sees Kratos end.
func fixture(t *testing.T, k *peertest.Kratos, email string) *connectortest.Fixture {
	setup.Lock()
	k.CreateIdentity(t, email, password)
	setup.Unlock()
	s := loginLocked(t, k, email)
	admin, err := url.Parse(k.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	ended := &endCounter{admin: k.AdminURL,
		next: httputil.NewSingleHostReverseProxy(admin)}
	const secret = "ory_pat_killswitch-suite-secret-0123456789"
	aliases := []store.Alias{{Type: "email", Value: email}}
	return &connectortest.Fixture{
		Server: connectortest.NewServer(t, ended),
		Secret: secret,
		Connect: func(h restclient.Config, log *slog.Logger) (connectors.Connector, error) {
			return New("kratos", "kratos", Config{HTTP: h, APIKey: restclient.NewSecret(secret),
				PageSize: 3}, log)
		},
		Revoke: connectors.Request{Op: connectors.OpRevokeSession,
			Principal: ada, Aliases: aliases,
			Session: &store.Session{ExternalID: s.ID}},
		Effects: func() int { return int(ended.n.Load()) },
		ServerError: `{"error":{"code":500,"status":"Internal Server Error",` +
			`"message":"An internal server error occurred"}}`,
		Unaddressable: []connectors.Request{{Op: connectors.OpRevokeSession,
			Principal: ada, Session: &store.Session{},
			Aliases: []store.Alias{{Type: "okta_user", Value: "00u1"}}}},
		Paging: &connectortest.Paging{
			Seed: func(n int) {
				for range n - 1 {
					loginLocked(t, k, email)
				}
			},
			List: func(ctx context.Context, c connectors.Connector) (int, error) {
				l, err := c.(connectors.Lister).List(ctx, ada, aliases)
				return len(l.Sessions), err
			},
		},
	}
}

// endCounter passes requests to Kratos and counts the sessions a
// DELETE /admin/sessions/{id} found active and Kratos ended: the changes
// the provider made.
type endCounter struct {
	admin string
	next  http.Handler
	mu    sync.Mutex
	n     atomic.Int64
}

func (e *endCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, "/admin/sessions/")
	if r.Method != http.MethodDelete || !ok {
		e.next.ServeHTTP(w, r)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	was := e.active(r.Context(), id)
	rec := &statusRecorder{ResponseWriter: w}
	e.next.ServeHTTP(rec, r)
	if was && rec.status == http.StatusNoContent && !e.active(r.Context(), id) {
		e.n.Add(1)
	}
}

// active asks Kratos whether a session is active.
func (e *endCounter) active(ctx context.Context, id string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		e.admin+"/admin/sessions/"+id, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var s session
	return json.NewDecoder(resp.Body).Decode(&s) == nil && s.Active
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
