package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// A misspelt field of a request body is refused, naming it, rather than
// dropped: dropped, "scope" made an unscoped token, "provder" widened a
// termination to every provider and "expires" made a lock permanent.
func TestAnUnknownFieldOfABodyIsRefusedByName(t *testing.T) {
	e := newOpsEnv(t, 0)
	admin := e.token(api.Admin, store.TokenScopes{})
	for _, c := range []struct {
		path, field string
		body        map[string]any
	}{
		{"/v1/tokens", "scope", map[string]any{"name": "ci",
			"role": "viewer", "scope": map[string]any{
				"providers": []string{"okta"}}}},
		{"/v1/tokens", "scopes.provider", map[string]any{"name": "ci",
			"role": "viewer", "scopes": map[string]any{
				"provider": []string{"okta"}}}},
		{"/v1/sessions/terminate", "filter.provder", map[string]any{
			"filter": map[string]any{"principal": "alice",
				"provder": "okta"}, "reason": "INC-1"}},
		{"/v1/sessions/terminate", "reson", map[string]any{
			"principal_id": "alice", "reason": "INC-1", "reson": "x"}},
		{"/v1/locks", "expires", map[string]any{"target_type": "principal",
			"target": "alice", "reason": "INC-1",
			"expires": "2099-01-01T00:00:00Z"}},
		{"/v1/actions/none/approve", "comment", map[string]any{
			"reason": "ok", "comment": "x"}},
		{"/v1/introspect", "session", map[string]any{"session": "x"}},
	} {
		p := e.do("POST", c.path, admin, c.body).problem(t, 400,
			api.ProblemCodeInvalidBody)
		if p.Parameter != c.field {
			t.Errorf("POST %s: problem names %q, want %q: %+v", c.path,
				p.Parameter, c.field, p)
		}
	}
	for _, id := range []string{"alice-okta-laptop", "alice-aws-console"} {
		if st := e.sessionStatus(id); st != store.StatusActive {
			t.Errorf("%s is %s after refused terminations", id, st)
		}
	}
	toks, err := e.st.ListAPITokens(t.Context())
	must(t, err)
	if len(toks) != 1 {
		t.Errorf("%d tokens, want only the admin's", len(toks))
	}
}

// A body past the limit is refused before it is read whole.
func TestAnOversizedBodyIsRefused(t *testing.T) {
	e := newOpsEnv(t, 0)
	admin := e.token(api.Admin, store.TokenScopes{})
	body := `{"name":"x","role":"viewer"` + strings.Repeat(" ", 2<<20) + `}`
	req, _ := http.NewRequestWithContext(t.Context(), "POST",
		e.srv.URL+"/v1/tokens", bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	res, err := e.srv.Client().Do(req)
	must(t, err)
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	response{status: res.StatusCode, header: res.Header,
		body: b.Bytes()}.problem(t, 400, api.ProblemCodeInvalidBody)
	toks, err := e.st.ListAPITokens(t.Context())
	must(t, err)
	if len(toks) != 1 {
		t.Errorf("%d tokens, want only the admin's", len(toks))
	}
}

// A time given as Go's zero time (0001-01-01T00:00:00Z, in any zone) is
// refused, naming the field: it was read as no time at all, so a lock
// asked to expire then was placed until lifted, and a token made to
// expire then never expired.
func TestAZeroTimeInABodyIsRefusedByName(t *testing.T) {
	e := newOpsEnv(t, 0)
	admin := e.token(api.Admin, store.TokenScopes{})
	for _, zero := range []string{"0001-01-01T00:00:00Z",
		"0001-01-01T02:00:00+02:00"} {
		for path, body := range map[string]map[string]any{
			"/v1/locks": {"target_type": "principal", "target": "alice",
				"reason": "INC-1", "expires_at": zero},
			"/v1/tokens": {"name": "ci", "role": "viewer",
				"expires_at": zero},
		} {
			p := e.do("POST", path, admin, body).problem(t, 400,
				api.ProblemCodeInvalidBody)
			if p.Parameter != "expires_at" {
				t.Errorf("POST %s with %s: problem names %q, want "+
					"expires_at: %+v", path, zero, p.Parameter, p)
			}
		}
	}
	locks, err := e.st.ListLocks(t.Context(), time.Time{})
	must(t, err)
	if len(locks) != 0 {
		t.Errorf("%d locks placed, want none: %+v", len(locks), locks)
	}
	toks, err := e.st.ListAPITokens(t.Context())
	must(t, err)
	if len(toks) != 1 {
		t.Errorf("%d tokens, want only the admin's", len(toks))
	}
}

// A query parameter the operation does not list is refused by name, as
// a misspelt body field is: dropped, ?principle=alice listed every
// session and ?last_event=41 started a revocation stream from now,
// missing every revocation after 41.
func TestAnUnknownQueryParameterIsRefusedByName(t *testing.T) {
	e := newOpsEnv(t, 0)
	admin := e.token(api.Admin, store.TokenScopes{})
	for _, c := range []struct {
		method, path, param string
		body                map[string]any
	}{
		{"GET", "/v1/sessions?principle=alice", "principle", nil},
		{"GET", "/v1/sessions?principal=alice&staus=active", "staus", nil},
		{"GET", "/v1/locks?al=true", "al", nil},
		{"GET", "/v1/audit?after=12", "after", nil},
		{"GET", "/v1/revocations/stream?last_event=0", "last_event", nil},
		{"POST", "/v1/introspect?session_id=x", "session_id",
			map[string]any{"session_id": "alice-okta-laptop"}},
		{"DELETE", "/v1/locks/lck_none?reason=x&by=me", "by", nil},
		// No parameter takes a list: a second value was dropped.
		{"GET", "/v1/sessions?principal=alice&principal=frank", "principal", nil},
		{"GET", "/v1/sessions?limit=1&limit=2", "limit", nil},
		{"DELETE", "/v1/locks/lck_none?reason=x&reason=y", "reason", nil},
	} {
		p := e.do(c.method, c.path, admin, c.body).problem(t, 400,
			api.ProblemCodeInvalidParameter)
		if p.Parameter != c.param {
			t.Errorf("%s %s: problem names %q, want %q: %+v", c.method,
				c.path, p.Parameter, c.param, p)
		}
	}
	var page struct{ Items []map[string]any }
	e.do("GET", "/v1/sessions?principal=alice&status=active&limit=10",
		admin, nil).want(t, 200, &page)
	if len(page.Items) == 0 {
		t.Error("alice's live sessions: none, with only known parameters")
	}
}
