package api_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// specRouter loads openapi.yaml, checks it is a valid OpenAPI document
// and routes requests to base (the test server's /v1) by it.
func specRouter(t *testing.T, base string) routers.Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.yaml")
	must(t, err)
	must(t, doc.Validate(t.Context()))
	doc.Servers = openapi3.Servers{{URL: base}}
	r, err := legacy.NewRouter(doc)
	must(t, err)
	return r
}

// checkResponse fails unless the answer to req has a status the
// document lists for the operation, and a body of its schema.
func checkResponse(t *testing.T, router routers.Router, req *http.Request,
	res response) {
	t.Helper()
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not in openapi.yaml: %v", req.Method, req.URL, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route},
		Status: res.status, Header: res.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	in.SetBodyBytes(res.body)
	if err := openapi3filter.ValidateResponse(t.Context(), in); err != nil {
		t.Errorf("%s %s answered %d against openapi.yaml: %v\n%s",
			req.Method, req.URL, res.status, err, res.body)
	}
}

func TestEveryAnswerMatchesTheSpec(t *testing.T) {
	dir := t.TempDir()
	src := []byte("package killswitch.response\n\ndecision := {\"actions\": []}\n")
	must(t, os.WriteFile(filepath.Join(dir, "main.rego"), src, 0o600))
	pol, err := rules.NewReloader(t.Context(), rules.ReloaderConfig{Path: dir})
	must(t, err)
	e := newEnvWith(t, func(c *api.Config) {
		c.Policies = pol
		c.Sweeps = []api.SweepSchedule{{Name: "idle-sessions",
			Schedule: "@every 1h", Next: func(t time.Time) time.Time {
				return t.Add(time.Hour)
			}}}
	})
	e.fixture()
	e.credentials()
	e.outbox()
	ok, err := e.st.StartSweepRun(t.Context(), store.SweepRun{ID: "run-1",
		Sweep: "idle-sessions", ScheduledAt: t0, StartedAt: t0,
		Owner: "vm:1"})
	if err != nil || !ok {
		t.Fatalf("start sweep run: %v", err)
	}
	router := specRouter(t, e.srv.URL+"/v1")
	admin := e.token(api.Admin, store.TokenScopes{})
	viewer := e.token(api.Viewer, store.TokenScopes{})
	expired := e.tokenSpec(api.TokenSpec{Name: "old", Role: api.Viewer,
		CreatedAt: t0.Add(-time.Hour), ExpiresAt: t0.Add(-time.Minute)})
	var page api.SessionPage
	e.get("/v1/sessions?limit=1", viewer, http.StatusOK, &page)
	next := url.QueryEscape(page.NextCursor)
	cases := []struct {
		method, path, secret string
		body                 any
	}{
		{"GET", "/v1/principals?alias_type=email&alias=alice@example.com", viewer, nil},
		{"GET", "/v1/principals?limit=0", viewer, nil},
		{"GET", "/v1/principals/alice", viewer, nil},
		{"GET", "/v1/principals/nobody", viewer, nil},
		{"GET", "/v1/sessions?limit=1&cursor=" + next, viewer, nil},
		{"GET", "/v1/sessions?network=nowhere", viewer, nil},
		{"GET", "/v1/sessions?sort=-last_seen_at&country=PT", expired, nil},
		{"GET", "/v1/credentials?exposed=true", viewer, nil},
		{"GET", "/v1/credentials/ci-key", viewer, nil},
		{"GET", "/v1/credentials/nothing", viewer, nil},
		{"GET", "/v1/locks?all=true", viewer, nil},
		{"GET", "/v1/actions?state=awaiting_approval", viewer, nil},
		{"GET", "/v1/actions/act-2", viewer, nil},
		{"GET", "/v1/signals", viewer, nil},
		{"GET", "/v1/signals/sig-1", viewer, nil},
		{"GET", "/v1/audit", viewer, nil},
		{"GET", "/v1/audit/verify", viewer, nil},
		{"GET", "/v1/policies", viewer, nil},
		{"GET", "/v1/sweeps", viewer, nil},
		{"GET", "/v1/sweeps/idle-sessions/runs", viewer, nil},
		{"GET", "/v1/sweep-runs/run-1", viewer, nil},
		{"GET", "/v1/tokens", admin, nil},
		{"GET", "/v1/tokens", viewer, nil},
		{"POST", "/v1/tokens", admin, api.TokenRequest{Name: "ci", Role: api.Viewer}},
		{"POST", "/v1/tokens", admin, map[string]string{"name": "ci", "role": "root"}},
		{"POST", "/v1/tokens/tok_nothing/revoke", admin, nil},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			res := e.do(c.method, c.path, c.secret, c.body)
			req, _ := http.NewRequest(c.method, e.srv.URL+c.path, nil)
			checkResponse(t, router, req, res)
		})
	}
}
