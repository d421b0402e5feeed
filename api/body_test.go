package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

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
