package restclient

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
)

func TestReasonClassesEachFailureOfARealCall(t *testing.T) {
	googleThrottle := body(403, `{"error":{"code":403,"errors":`+
		`[{"reason":"rateLimitExceeded"}],"message":"Rate Limit Exceeded"}}`)
	cases := []struct {
		name   string
		answer func(http.ResponseWriter, *http.Request)
		want   string
	}{
		{"A 204 is no failure", status(204), ""},
		{"A 404 on a revoke is no failure", status(404), ""},
		{"A 429 is throttled", status(429), ReasonThrottled},
		{"A vendor 403 rate limit is throttled", googleThrottle, ReasonThrottled},
		{"A 503 is a server error", status(503), ReasonServerError},
		{"A plain 403 is a client error", status(403), ReasonClientError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, tc.answer)
			cfg := testConfig(rec.srv.URL)
			cfg.Retry.Attempts = 1
			res, _, _ := revoke(newTestClient(t, cfg, nil, nil))
			if got := Reason(res); got != tc.want {
				t.Fatalf("reason of %s is %q, want %q", res, got, tc.want)
			}
		})
	}
}

func TestReasonNamesTimeoutsRefusedConnectionsAndAnOpenBreaker(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	rec := newRecorder(t, slow)
	cfg := testConfig(rec.srv.URL)
	cfg.Timeout, cfg.Retry.Attempts = 50*time.Millisecond, 1
	if res, _, _ := revoke(newTestClient(t, cfg, nil, nil)); Reason(res) != ReasonTimeout {
		t.Errorf("a slow answer: reason of %s is %q", res, Reason(res))
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	cfg = testConfig(closed)
	cfg.Retry.Attempts = 1
	cfg.Breaker = BreakerConfig{Failures: 1, OpenFor: time.Minute}
	c := newTestClient(t, cfg, nil, nil)
	if res, _, _ := revoke(c); Reason(res) != ReasonNetwork {
		t.Errorf("a refused connection: reason of %s is %q", res, Reason(res))
	}
	if res, _, _ := revoke(c); Reason(res) != ReasonBreakerOpen {
		t.Errorf("after the breaker opened: reason of %s is %q", res, Reason(res))
	}
}

func TestReasonOfAFailureFromAnotherClientIsOther(t *testing.T) {
	res := connectors.Result{Outcome: connectors.Permanent,
		Err: errString("sdk: access denied")}
	if got := Reason(res); got != ReasonOther {
		t.Fatalf("got %q", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
