package hydra

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/connectors/peertest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// The shared scenarios run against the real Hydra, with the fault
// injector of connectortest in front of its admin API.
func TestScenariosAgainstTheRealHydra(t *testing.T) {
	h := peertest.StartHydra(t)
	var n atomic.Int64
	connectortest.Run(t, func(t *testing.T) *connectortest.Fixture {
		return fixture(t, h, fmt.Sprintf("sub-%d", n.Add(1)))
	})
}

// setup serialises the scenarios' writes to Hydra: its in-memory SQLite
// refuses concurrent ones ("concurrent update in another session").
var setup sync.Mutex

func grantLocked(t *testing.T, h *peertest.Hydra, name, sub string) peertest.Client {
	setup.Lock()
	defer setup.Unlock()
	cl := h.CreateClient(t, name)
	h.Grant(t, cl, sub)
	return cl
}

// fixture is one fresh subject holding a grant, behind a fault injector
// that counts the grants it sees Hydra revoke.
func fixture(t *testing.T, h *peertest.Hydra, sub string) *connectortest.Fixture {
	cl := grantLocked(t, h, "app-"+sub, sub)
	admin, err := url.Parse(h.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	gone := &grantCounter{admin: h.AdminURL,
		next: httputil.NewSingleHostReverseProxy(admin)}
	const secret = "ory_pat_killswitch-suite-secret-9876543210"
	aliases := subject(sub)
	return &connectortest.Fixture{
		Server: connectortest.NewServer(t, gone),
		Secret: secret,
		Connect: func(hc restclient.Config, log *slog.Logger) (connectors.Connector, error) {
			return New("hydra", "hydra", Config{HTTP: hc, APIKey: restclient.NewSecret(secret),
				PageSize: 3}, log)
		},
		Revoke: connectors.Request{Op: connectors.OpRevokeSession,
			Principal: ada, Aliases: aliases,
			Session: &store.Session{ExternalID: cl.ID}},
		Effects: func() int { return int(gone.n.Load()) },
		ServerError: `{"error":"server_error",` +
			`"error_description":"The authorization server encountered an unexpected condition"}`,
		Unaddressable: []connectors.Request{{Op: connectors.OpRevokeSession,
			Principal: ada, Session: &store.Session{},
			Aliases: []store.Alias{{Type: "okta_user", Value: "00u1"}}}},
		Paging: &connectortest.Paging{
			Seed: func(n int) {
				for i := range n - 1 {
					grantLocked(t, h, fmt.Sprintf("extra-%d", i), sub)
				}
			},
			List: func(ctx context.Context, c connectors.Connector) (int, error) {
				l, err := c.(connectors.Lister).List(ctx, ada, aliases)
				return len(l.Sessions), err
			},
		},
	}
}

// grantCounter passes requests to Hydra and counts the grants that a
// DELETE of consent sessions removed: the changes the provider made.
type grantCounter struct {
	admin string
	next  http.Handler
	mu    sync.Mutex
	n     atomic.Int64
}

func (g *grantCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sub := r.URL.Query().Get("subject")
	if r.Method != http.MethodDelete || r.URL.Path !=
		"/admin/oauth2/auth/sessions/consent" || sub == "" {
		g.next.ServeHTTP(w, r)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	before := g.count(r.Context(), sub)
	g.next.ServeHTTP(w, r)
	g.n.Add(int64(max(0, before-g.count(r.Context(), sub))))
}

// count asks Hydra how many grants the subject holds.
func (g *grantCounter) count(ctx context.Context, sub string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		g.admin+"/admin/oauth2/auth/sessions/consent?subject="+
			url.QueryEscape(sub), nil)
	if err != nil {
		return 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var gs []grant
	if json.NewDecoder(resp.Body).Decode(&gs) != nil {
		return 0
	}
	return len(gs)
}
