package api_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// An event id the stream never gave (not a number, negative, or past
// the end of the log) is a problem naming where it came from: resuming
// after an id past the end would silently skip every revocation up to it.
func TestTheStreamRefusesAnEventIDItNeverGave(t *testing.T) {
	e := newOpsEnv(t, 0)
	viewer := e.token(api.Viewer, store.TokenScopes{})
	for _, c := range []struct{ where, value string }{
		{"last_event_id", "abc"}, {"last_event_id", "-1"},
		{"last_event_id", "99999999"}, {"Last-Event-ID", "99999999"},
		{"Last-Event-ID", "1e3"},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET",
			e.srv.URL+"/v1/revocations/stream", nil)
		req.Header.Set("Authorization", "Bearer "+viewer)
		if c.where == "Last-Event-ID" {
			req.Header.Set(c.where, c.value)
		} else {
			req.URL.RawQuery = c.where + "=" + c.value
		}
		res, err := e.srv.Client().Do(req)
		must(t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		r := response{status: res.StatusCode, header: res.Header, body: b}
		p := r.problem(t, 400, api.ProblemCodeInvalidParameter)
		if p.Parameter != c.where || p.Value != c.value {
			t.Errorf("%s=%s: problem names %s=%q", c.where, c.value,
				p.Parameter, p.Value)
		}
	}
}

// A stream lasts no longer than its token: revoking the token ends the
// streams opened with it, and the client's reconnect is refused.
func TestAStreamEndsWhenItsTokenIsRevoked(t *testing.T) {
	e := newOpsEnv(t, 0)
	viewer := e.token(api.Viewer, store.TokenScopes{})
	req, _ := http.NewRequestWithContext(t.Context(), "GET",
		e.srv.URL+"/v1/revocations/stream", nil)
	req.Header.Set("Authorization", "Bearer "+viewer)
	res, err := e.srv.Client().Do(req)
	must(t, err)
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("stream answered %d", res.StatusCode)
	}
	tok, err := e.st.APITokenByHash(t.Context(), api.HashSecret(viewer))
	must(t, err)
	_, err = api.RevokeToken(t.Context(), e.st, tok.ID, "test", time.Now())
	must(t, err)
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, res.Body)
		ended <- err
	}()
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("stream broke instead of ending: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the stream of a revoked token is still open")
	}
	e.do("GET", "/v1/revocations/stream", viewer, nil).problem(t, 401,
		api.ProblemCodeTokenRevoked)
}
