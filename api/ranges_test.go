package api_test

import (
	"testing"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// A time range that holds no instant (its before not after its after)
// is a mistake, not a question whose answer is "nothing": every list
// and a termination's filter refuse it naming the before.
func TestAnEmptyTimeRangeIsAProblemNamingIt(t *testing.T) {
	e := newOpsEnv(t, 0)
	admin := e.token(api.Admin, store.TokenScopes{})
	const late, early = "2026-12-05T00:00:00Z", "2026-12-01T00:00:00Z"
	for _, c := range []struct{ path, name string }{
		{"/v1/principals", "created"}, {"/v1/sessions", "created"},
		{"/v1/sessions", "last_seen"}, {"/v1/credentials", "created"},
		{"/v1/actions", "created"}, {"/v1/signals", "received"},
	} {
		for _, before := range []string{early, late} {
			q := c.path + "?" + c.name + "_after=" + late + "&" +
				c.name + "_before=" + before
			p := e.do("GET", q, admin, nil).problem(t, 400,
				api.ProblemCodeInvalidParameter)
			if p.Parameter != c.name+"_before" || p.Value != before {
				t.Errorf("%s: problem names %s=%q", q, p.Parameter, p.Value)
			}
		}
	}
	p := e.do("POST", "/v1/sessions/terminate", admin, map[string]any{
		"filter": map[string]any{"principal": "alice",
			"last_seen_after": late, "last_seen_before": early},
		"reason": "INC-1"}).problem(t, 400, api.ProblemCodeInvalidBody)
	if p.Parameter != "filter.last_seen_before" || p.Value != early {
		t.Errorf("termination: problem names %s=%q", p.Parameter, p.Value)
	}
}

// A country is the two-letter code of the origin, in either case: "us"
// finds the sessions from US, as the console's search does, and a
// termination by {"country": "us"} cuts them rather than nothing.
// Anything else is refused by name.
func TestACountryIsATwoLetterCodeInEitherCase(t *testing.T) {
	e := newOpsEnv(t, 0)
	admin := e.token(api.Admin, store.TokenScopes{})
	var upper, lower struct{ Items []api.Session }
	e.get("/v1/sessions?country=US", admin, 200, &upper)
	e.get("/v1/sessions?country=us", admin, 200, &lower)
	if len(upper.Items) == 0 || len(lower.Items) != len(upper.Items) {
		t.Fatalf("country=us finds %d sessions, US %d", len(lower.Items),
			len(upper.Items))
	}
	for _, v := range []string{"usa", "u", "1x", "u%20s"} {
		p := e.do("GET", "/v1/sessions?country="+v, admin, nil).problem(t,
			400, api.ProblemCodeInvalidParameter)
		if p.Parameter != "country" {
			t.Errorf("country=%s: problem names %q", v, p.Parameter)
		}
	}
	p := e.do("POST", "/v1/sessions/terminate", admin, map[string]any{
		"filter": map[string]any{"country": "usa"}, "reason": "INC-1"}).
		problem(t, 400, api.ProblemCodeInvalidBody)
	if p.Parameter != "filter.country" {
		t.Errorf("termination: problem names %q", p.Parameter)
	}
	var got api.Termination
	e.do("POST", "/v1/sessions/terminate", admin, map[string]any{
		"filter": map[string]any{"country": "us", "principal": "alice"},
		"reason": "INC-1"}).want(t, 200, &got)
	if got.Matched == 0 {
		t.Error("a termination by country us matched nothing")
	}
}
