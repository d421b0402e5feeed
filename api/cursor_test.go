package api_test

import (
	"encoding/base64"
	"testing"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// A cursor goes on the list it came from, with the same filters. One
// from /v1/sessions given to /v1/credentials answered an empty page, as
// if the list had ended; one given with other filters skipped records
// silently.
func TestACursorFromAnotherListOrFilterIsRefused(t *testing.T) {
	e := newOpsEnv(t, 0)
	admin := e.token(api.Admin, store.TokenScopes{})
	var page struct {
		NextCursor string `json:"next_cursor"`
	}
	e.get("/v1/sessions?limit=2", admin, 200, &page)
	if page.NextCursor == "" {
		t.Fatal("no next cursor")
	}
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"i":"zzz"}`))
	for _, path := range []string{
		"/v1/credentials?limit=2&cursor=" + page.NextCursor,
		"/v1/principals?limit=2&cursor=" + page.NextCursor,
		"/v1/actions?cursor=" + page.NextCursor,
		"/v1/signals?cursor=" + page.NextCursor,
		"/v1/sessions?limit=2&provider=aws&cursor=" + page.NextCursor,
		"/v1/sessions?limit=2&sort=-created_at&cursor=" + page.NextCursor,
		"/v1/sessions?limit=2&cursor=" + forged,
	} {
		p := e.do("GET", path, admin, nil).problem(t, 400,
			api.ProblemCodeInvalidParameter)
		if p.Parameter != "cursor" {
			t.Errorf("%s: problem names %q", path, p.Parameter)
		}
	}
	e.get("/v1/sessions?limit=5&cursor="+page.NextCursor, admin, 200, nil)
}

// A sequence number is 0 or more; -5 was read as "from the start".
func TestANegativeAfterSeqIsRefused(t *testing.T) {
	e := newEnv(t)
	viewer := e.token(api.Viewer, store.TokenScopes{})
	p := e.do("GET", "/v1/audit?after_seq=-5", viewer, nil).problem(t, 400,
		api.ProblemCodeInvalidParameter)
	if p.Parameter != "after_seq" || p.Value != "-5" {
		t.Errorf("problem names %s=%q", p.Parameter, p.Value)
	}
}
