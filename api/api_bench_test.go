package api_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// benchAPI is the API over a registry of 1,000 principals with 10
// sessions each, and a viewer token, scoped or not.
func benchAPI(b *testing.B, scopes store.TokenScopes) (http.Handler, string) {
	b.Helper()
	ctx := b.Context()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "ks.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	kinds := []store.PrincipalKind{store.KindHuman, store.KindServiceAccount}
	for i := range 1000 {
		id := fmt.Sprintf("p%04d", i)
		err := st.PutPrincipal(ctx, store.Principal{ID: id, Kind: kinds[i%2]})
		if err != nil {
			b.Fatal(err)
		}
		for j := range 10 {
			err := st.PutSession(ctx, store.Session{
				ID: fmt.Sprintf("%s-s%d", id, j), PrincipalID: id,
				Provider: []string{"okta", "aws"}[j%2], Kind: "browser",
				Origin:    store.Origin{IP: fmt.Sprintf("10.0.%d.%d", i%256, j)},
				CreatedAt: t0.Add(time.Duration(i*10+j) * time.Second)})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	tok, secret, err := api.NewToken(api.TokenSpec{Name: "bench",
		Role: api.Viewer, Scopes: scopes, CreatedAt: t0})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.CreateAPIToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	s, err := api.New(api.Config{Store: st,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	return s.Handler(), secret
}

// benchGet serves GET path b.N times and fails on a status other than
// 200.
func benchGet(b *testing.B, h http.Handler, secret, path string) {
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkListSessionsPage is one page of 100 of 10,000 sessions,
// authentication included.
func BenchmarkListSessionsPage(b *testing.B) {
	h, secret := benchAPI(b, store.TokenScopes{})
	benchGet(b, h, secret, "/v1/sessions?limit=100")
}

// BenchmarkListSessionsScopedByNetwork is a page of 100 through a
// token scoped to service accounts, filtered by a /16.
func BenchmarkListSessionsScopedByNetwork(b *testing.B) {
	h, secret := benchAPI(b, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindServiceAccount}})
	benchGet(b, h, secret, "/v1/sessions?limit=100&network=10.0.0.0/16")
}

// BenchmarkGetPrincipal is one principal with its aliases.
func BenchmarkGetPrincipal(b *testing.B) {
	h, secret := benchAPI(b, store.TokenScopes{})
	benchGet(b, h, secret, "/v1/principals/p0500")
}
