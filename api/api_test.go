package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// t0 is the time the tests start at.
var t0 = time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is the API over a real SQLite registry, served by httptest.
type env struct {
	t     *testing.T
	st    *sqlite.Store
	clock *clock
	srv   *httptest.Server
	logs  *bytes.Buffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, func(*api.Config) {})
}

// newEnvWith is newEnv with the config changed by set.
func newEnvWith(t *testing.T, set func(*api.Config)) *env {
	t.Helper()
	return newEnvAt(t, filepath.Join(t.TempDir(), "ks.db"), set)
}

// newEnvAt is newEnvWith on the registry file at path.
func newEnvAt(t *testing.T, path string, set func(*api.Config)) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, clock: &clock{now: t0}, logs: &bytes.Buffer{}}
	cfg := api.Config{Store: st, Now: e.clock.Now,
		Log: slog.New(slog.NewTextHandler(e.logs, nil))}
	set(&cfg)
	s, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(api.BasePath+"/", s.Handler())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// token stores a token with that role and scopes and returns its secret.
func (e *env) token(role api.Role, scopes store.TokenScopes) string {
	e.t.Helper()
	return e.tokenSpec(api.TokenSpec{Name: string(role) + " token",
		Role: role, Scopes: scopes, CreatedBy: "test",
		CreatedAt: e.clock.Now()})
}

func (e *env) tokenSpec(s api.TokenSpec) string {
	e.t.Helper()
	tok, secret, err := api.NewToken(s)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.CreateAPIToken(e.t.Context(), tok); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// response is an answer, its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with secret as bearer token ("" for none).
func (e *env) do(method, path, secret string, body any) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(e.t.Context(), method,
		e.srv.URL+path, rd)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// get is do with GET, wanting a status; it decodes the body into out.
func (e *env) get(path, secret string, want int, out any) response {
	e.t.Helper()
	r := e.do(http.MethodGet, path, secret, nil)
	r.want(e.t, want, out)
	return r
}

// want fails unless r has status; then decodes the body into out.
func (r response) want(t *testing.T, status int, out any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("decode %s: %v", r.body, err)
		}
	}
}

// problem fails unless r is a problem document with that status and
// code, and returns it.
func (r response) problem(t *testing.T, status int, code api.ProblemCode) api.Problem {
	t.Helper()
	var p api.Problem
	r.want(t, status, &p)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("content type %q, want application/problem+json", ct)
	}
	if p.Code != code || p.Status != status ||
		p.Type != "urn:killswitch:problem:"+string(code) {
		t.Fatalf("problem %+v, want code %s status %d", p, code, status)
	}
	return p
}

// audit returns the audit entries with that event.
func (e *env) audit(event string) []store.AuditEntry {
	e.t.Helper()
	all, err := e.st.ListAudit(e.t.Context(), store.AuditFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, a := range all {
		if a.Event == event {
			out = append(out, a)
		}
	}
	return out
}

// noSecret fails when secret shows in the audit trail or the log.
func (e *env) noSecret(secret string) {
	e.t.Helper()
	all, err := e.st.ListAudit(e.t.Context(), store.AuditFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := json.Marshal(all)
	if strings.Contains(string(b), secret) {
		e.t.Fatalf("the secret is in the audit trail: %s", b)
	}
	if strings.Contains(e.logs.String(), secret) {
		e.t.Fatalf("the secret is in the log: %s", e.logs)
	}
}
