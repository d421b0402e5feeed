package api_test

import (
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// A bad field of a write is a problem naming it and its value, as a bad
// query parameter is, not a sentence to read.
func TestABadFieldOfAWriteIsNamed(t *testing.T) {
	e := newOpsEnv(t, 0)
	admin := e.token(api.Admin, store.TokenScopes{})
	for _, c := range []struct {
		path, field, value string
		body               map[string]any
	}{
		{"/v1/locks", "reason", " ", map[string]any{
			"target_type": "principal", "target": "erin", "reason": " "}},
		{"/v1/locks", "target", "", map[string]any{
			"target_type": "device", "target": "", "reason": "x"}},
		{"/v1/locks", "target", "10.0.0.0/33", map[string]any{
			"target_type": "origin", "target": "10.0.0.0/33", "reason": "x"}},
		{"/v1/locks", "expires_at", "2020-01-01T00:00:00Z", map[string]any{
			"target_type": "principal", "target": "erin", "reason": "x",
			"expires_at": "2020-01-01T00:00:00Z"}},
		{"/v1/sessions/terminate", "reason", "", map[string]any{
			"principal_id": "erin"}},
	} {
		p := e.do("POST", c.path, admin, c.body).problem(t, 400,
			api.ProblemCodeInvalidBody)
		if p.Parameter != c.field || p.Value != c.value {
			t.Errorf("%s %v: problem names %s=%q, want %s=%q", c.path,
				c.body, p.Parameter, p.Value, c.field, c.value)
		}
	}
}

// A path that exists, asked with a method it does not take, was "no
// such endpoint" (404), which sent a caller looking for a typo in a
// path that was right.
func TestAMethodAPathDoesNotTakeIs405WithAllow(t *testing.T) {
	e := newOpsEnv(t, 0)
	admin := e.token(api.Admin, store.TokenScopes{})
	for _, c := range []struct{ method, path, allow string }{
		{"POST", "/v1/sessions", "GET"},
		{"DELETE", "/v1/principals/alice", "GET"},
		{"PUT", "/v1/locks", "GET, POST"},
		{"GET", "/v1/sessions/terminate", "POST"},
	} {
		r := e.do(c.method, c.path, admin, nil)
		p := r.problem(t, 405, api.ProblemCodeMethodNotAllowed)
		if got := r.header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
		if !strings.Contains(p.Detail, c.allow) {
			t.Errorf("%s %s: detail %q does not list %s", c.method, c.path, p.Detail, c.allow)
		}
	}
	e.do("GET", "/v1/no-such-thing", admin, nil).problem(t, 404, api.ProblemCodeNotFound)
}
