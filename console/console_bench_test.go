package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// benchPrincipals and benchPerHead size the registry the benchmarks
// read: 1,000 principals of five kinds with 20 live sessions each at
// four providers.
const (
	benchPrincipals = 1000
	benchPerHead    = 20
)

// benchConsole is a console over a registry of 20,000 live sessions
// and a cookie signed in with a token of role (scoped to service
// accounts when scoped is set).
func benchConsole(b *testing.B, role api.Role, scoped bool) (http.Handler, *http.Cookie) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "ks.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	fillBenchRegistry(b, st)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := func() time.Time { return time.Now().UTC() }
	x := engine.NewExecutor(st, connectors.Set{}, nil, engine.ExecutorConfig{},
		now, log)
	c, err := New(Config{Store: st, Revoker: x, Log: log,
		Auth: APIAuth(api.NewAuthenticator(st, now, log))})
	if err != nil {
		b.Fatal(err)
	}
	var scopes store.TokenScopes
	if scoped {
		scopes.PrincipalKinds = []store.PrincipalKind{store.KindServiceAccount}
	}
	_, secret, err := api.CreateToken(ctx, st, api.TokenSpec{Name: "bench",
		Role: role, CreatedBy: "bench", CreatedAt: now(), Scopes: scopes})
	if err != nil {
		b.Fatal(err)
	}
	h := c.Handler()
	req := httptest.NewRequest(http.MethodPost, "/login",
		strings.NewReader(url.Values{"token": {secret}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) != 1 {
		b.Fatalf("sign in: %d", rec.Code)
	}
	return h, rec.Result().Cookies()[0]
}

func fillBenchRegistry(b *testing.B, st store.Store) {
	b.Helper()
	ctx := context.Background()
	kinds := []store.PrincipalKind{store.KindHuman, store.KindServiceAccount,
		store.KindAPIClient, store.KindAgent, store.KindWorkload}
	providers := []string{"okta", "aws", "github", "entra"}
	created := time.Now().Add(-48 * time.Hour)
	for i := range benchPrincipals {
		id := fmt.Sprintf("p%04d", i)
		err := st.PutPrincipal(ctx, store.Principal{ID: id,
			Kind: kinds[i%len(kinds)], Status: store.StatusActive})
		if err != nil {
			b.Fatal(err)
		}
		for j := range benchPerHead {
			err := st.PutSession(ctx, store.Session{
				ID: fmt.Sprintf("%s-s%02d", id, j), PrincipalID: id,
				Provider: providers[j%len(providers)], Kind: "browser",
				Origin: store.Origin{IP: fmt.Sprintf("198.51.%d.%d",
					i%256, j), Country: "US"},
				CreatedAt: created.Add(time.Duration(i*benchPerHead+j) * time.Second)})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchPage serves path to the signed-in cookie, b.N times.
func benchPage(b *testing.B, h http.Handler, ck *http.Cookie, path string) {
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
	}
}

// BenchmarkOverview renders the overview over 20,000 live sessions.
func BenchmarkOverview(b *testing.B) {
	h, ck := benchConsole(b, api.Viewer, false)
	benchPage(b, h, ck, "/")
}

// BenchmarkSearchByProvider renders a search matching 5,000 sessions,
// the first 200 of them listed.
func BenchmarkSearchByProvider(b *testing.B) {
	h, ck := benchConsole(b, api.Viewer, false)
	benchPage(b, h, ck, "/sessions?provider=okta&status=active")
}

// BenchmarkSearchScoped renders the same search for a token scoped to
// service accounts, which sees a fifth of it.
func BenchmarkSearchScoped(b *testing.B) {
	h, ck := benchConsole(b, api.Viewer, true)
	benchPage(b, h, ck, "/sessions?provider=okta&status=active")
}

// BenchmarkConfirmTerminate renders the confirmation of a termination of
// one principal's 20 sessions.
func BenchmarkConfirmTerminate(b *testing.B) {
	h, ck := benchConsole(b, api.Responder, false)
	benchPage(b, h, ck, "/sessions/terminate?principal=p0042")
}
