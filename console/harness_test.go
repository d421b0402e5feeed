package console

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// fixture is a console over a registry holding the demo inventory.
type fixture struct {
	t    *testing.T
	st   store.Store
	path string
	// viewer, responder and saOnly are secrets of API tokens with those
	// roles, saOnly a responder scoped to service accounts.
	viewer, responder, saOnly string
	srv                       *httptest.Server
	con                       *Console
	now                       time.Time
	mu                        sync.Mutex
}

func newFixture(t *testing.T, edit func(*Config)) *fixture {
	t.Helper()
	return newFixtureOn(t, nil, edit)
}

// newFixtureOn serves the console on l (nil: a new listener), for a test
// whose configuration names the console's address before it serves.
func newFixtureOn(t *testing.T, l net.Listener, edit func(*Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ks.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	inv, err := inventory.Load("../testdata/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, path: path, now: time.Now().UTC()}
	if _, err := inv.Import(ctx, st, f.now); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.viewer = f.token("vera", api.Viewer, nil)
	f.responder = f.token("rita", api.Responder, nil)
	f.saOnly = f.token("sam", api.Responder,
		[]store.PrincipalKind{store.KindServiceAccount})
	x := engine.NewExecutor(st, connectors.Set{}, nil, engine.ExecutorConfig{},
		f.clock, log)
	cfg := Config{Store: st, Revoker: x, Clock: f.clock, Log: log,
		Auth: APIAuth(api.NewAuthenticator(st, f.clock, log))}
	if edit != nil {
		edit(&cfg)
	}
	if f.con, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewUnstartedServer(f.con.Handler())
	if l != nil {
		f.srv.Listener.Close()
		f.srv.Listener = l
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

// token creates an API token scoped to kinds and providers (none: all)
// and returns its secret.
func (f *fixture) token(name string, role api.Role,
	kinds []store.PrincipalKind, providers ...string) string {
	f.t.Helper()
	_, secret, err := api.CreateToken(context.Background(), f.st,
		api.TokenSpec{Name: name, Role: role, CreatedBy: "test",
			CreatedAt: f.now, ExpiresAt: f.now.Add(24 * time.Hour),
			Scopes: store.TokenScopes{PrincipalKinds: kinds,
				Providers: providers}})
	if err != nil {
		f.t.Fatal(err)
	}
	return secret
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// browser is an HTTP client with its own cookies that does not follow
// redirects, so that tests see them.
type browser struct {
	f *fixture
	c *http.Client
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
}

// signedIn is a browser signed in with token.
func (f *fixture) signedIn(token string) *browser {
	b := f.browser()
	res, _ := b.post("/login", url.Values{"token": {token}})
	if res.StatusCode != http.StatusSeeOther {
		f.t.Fatalf("sign in: status %d, want 303", res.StatusCode)
	}
	return b
}

// get returns the response and its body.
func (b *browser) get(path string) (*http.Response, string) {
	b.f.t.Helper()
	return b.do(http.MethodGet, path, nil, nil)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.f.t.Helper()
	return b.do(http.MethodPost, path, form, nil)
}

func (b *browser) do(method, path string, form url.Values,
	header http.Header) (*http.Response, string) {
	b.f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.f.srv.URL+path, body)
	if err != nil {
		b.f.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.f.t.Fatal(err)
	}
	return res, string(data)
}

// wantStatus fails the test unless res has status want.
func wantStatus(t *testing.T, res *http.Response, body string, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body:\n%s", res.Request.Method,
			res.Request.URL.Path, res.StatusCode, want, excerpt(body))
	}
}

// wantIn fails the test unless every s is in body.
func wantIn(t *testing.T, body string, ss ...string) {
	t.Helper()
	for _, s := range ss {
		if !strings.Contains(body, s) {
			t.Fatalf("page lacks %q:\n%s", s, excerpt(body))
		}
	}
}

// excerpt is the main part of a page, for failure messages.
func excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	return short(3000, body)
}

// status is the status of a session in the store.
func (f *fixture) status(id string) string {
	f.t.Helper()
	s, err := f.st.GetSession(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return s.Status
}

// audit returns the audit entries with that event.
func (f *fixture) audit(event string) []store.AuditEntry {
	f.t.Helper()
	es, err := f.st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, e := range es {
		if e.Event == event {
			out = append(out, e)
		}
	}
	return out
}

var matchField = regexp.MustCompile(`name="match" value="([0-9a-f]+)"`)

// confirm reads the confirmation page of the termination of query, as a
// responder does before confirming, and returns form with the digest of
// the sessions that page showed.
func (b *browser) confirm(query string, form url.Values) url.Values {
	b.f.t.Helper()
	res, body := b.get("/sessions/terminate?" + query)
	wantStatus(b.f.t, res, body, http.StatusOK)
	m := matchField.FindStringSubmatch(body)
	if m == nil {
		b.f.t.Fatalf("the confirmation page of %s carries no match:\n%s", query, body)
	}
	form.Set("match", m[1])
	return form
}
