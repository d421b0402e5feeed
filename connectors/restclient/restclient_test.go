package restclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
)

// recorder is a test server that answers from a script and records when
// each request arrived.
type recorder struct {
	mu       sync.Mutex
	arrivals []time.Time
	script   []func(w http.ResponseWriter, r *http.Request)
	last     func(w http.ResponseWriter, r *http.Request)
	srv      *httptest.Server
}

func newRecorder(t *testing.T, last func(http.ResponseWriter, *http.Request),
	script ...func(http.ResponseWriter, *http.Request)) *recorder {
	rec := &recorder{script: script, last: last}
	rec.srv = httptest.NewServer(http.HandlerFunc(rec.serve))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) serve(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.arrivals = append(rec.arrivals, time.Now())
	h := rec.last
	if len(rec.script) > 0 {
		h, rec.script = rec.script[0], rec.script[1:]
	}
	rec.mu.Unlock()
	h(w, r)
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.arrivals)
}

func (rec *recorder) gap(i int) time.Duration {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.arrivals[i].Sub(rec.arrivals[i-1])
}

func status(code int, headers ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
	}
}

func body(code int, text string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		w.Write([]byte(text))
	}
}

func testConfig(base string) Config {
	return Config{BaseURL: base, Timeout: 2 * time.Second,
		Retry: RetryConfig{Attempts: 3, MinWait: time.Millisecond,
			MaxWait: 5 * time.Second, Jitter: 0.01}}
}

func newTestClient(t *testing.T, cfg Config, auth Auth, log *slog.Logger) *Client {
	t.Helper()
	c, err := New("test", cfg, auth, log)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func revoke(c *Client) (connectors.Result, *Response, error) {
	resp, err := c.Do(context.Background(), Request{Method: http.MethodDelete,
		Path: "/api/v1/sessions/s1"})
	return c.Result(resp, err), resp, err
}

func TestClassifyStatuses(t *testing.T) {
	cases := []struct {
		name  string
		code  int
		body  string
		want  connectors.Outcome
		code2 string
	}{
		{"A 204 is done", 204, "", connectors.Done, ""},
		{"A 202 is done", 202, "", connectors.Done, ""},
		{"A 404 on a revoke is already done", 404,
			`{"errorCode":"E0000007","errorSummary":"Not found"}`,
			connectors.AlreadyDone, "E0000007"},
		{"A 400 is permanent with the vendor code", 400,
			`{"errorCode":"E0000001","errorSummary":"Api validation failed"}`,
			connectors.Permanent, "E0000001"},
		{"A 401 is permanent", 401, `{"error":"invalid_client"}`,
			connectors.Permanent, "invalid_client"},
		{"A 501 is unsupported", 501, "", connectors.Unsupported, ""},
		{"A 503 is retryable", 503, "", connectors.Retryable, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := &Response{Status: tc.code, Body: []byte(tc.body),
				Header: http.Header{}, client: "okta"}
			res := Classify(resp, nil, Dialect{})
			if res.Outcome != tc.want || res.VendorCode != tc.code2 {
				t.Fatalf("got %s code %q, want %s code %q", res.Outcome,
					res.VendorCode, tc.want, tc.code2)
			}
		})
	}
}

func TestRetryAfterSecondsIsWaited(t *testing.T) {
	rec := newRecorder(t, status(204), status(429, "Retry-After", "1"))
	res, _, _ := revoke(newTestClient(t, testConfig(rec.srv.URL), nil, nil))
	if res.Outcome != connectors.Done || rec.count() != 2 {
		t.Fatalf("got %s after %d requests", res, rec.count())
	}
	if g := rec.gap(1); g < time.Second {
		t.Fatalf("retried after %s, server asked 1s", g)
	}
}

func TestRetryAfterDateIsWaited(t *testing.T) {
	var until time.Time
	first := func(w http.ResponseWriter, _ *http.Request) {
		until = time.Now().Add(2 * time.Second).Truncate(time.Second)
		w.Header().Set("Retry-After", until.UTC().Format(http.TimeFormat))
		w.WriteHeader(503)
	}
	rec := newRecorder(t, status(204), first)
	res, _, _ := revoke(newTestClient(t, testConfig(rec.srv.URL), nil, nil))
	if res.Outcome != connectors.Done {
		t.Fatalf("got %s", res)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.arrivals[1].Before(until) {
		t.Fatalf("retried at %s, server asked for %s", rec.arrivals[1], until)
	}
}

func TestRateLimitResetEpochIsWaited(t *testing.T) {
	var until time.Time
	first := func(w http.ResponseWriter, _ *http.Request) {
		until = time.Unix(time.Now().Unix()+2, 0)
		w.Header().Set("X-Rate-Limit-Reset", fmt.Sprint(until.Unix()))
		w.WriteHeader(429)
	}
	rec := newRecorder(t, status(204), first)
	res, _, _ := revoke(newTestClient(t, testConfig(rec.srv.URL), nil, nil))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if res.Outcome != connectors.Done || rec.arrivals[1].Before(until) {
		t.Fatalf("got %s, retried at %s, reset at %s", res, rec.arrivals[1], until)
	}
}

func TestVendorThrottlesThatAreNot429AreRetried(t *testing.T) {
	cases := []struct {
		name string
		h    func(http.ResponseWriter, *http.Request)
	}{
		{"Google 403 rateLimitExceeded", body(403, `{"error":{"code":403,`+
			`"message":"Rate Limit Exceeded","errors":[{"domain":"usageLimits",`+
			`"reason":"rateLimitExceeded"}]}}`)},
		{"GitHub 403 with no requests remaining",
			status(403, "X-Ratelimit-Remaining", "0")},
		{"AWS 400 Throttling", body(400, `<ErrorResponse><Error><Type>Sender`+
			`</Type><Code>Throttling</Code><Message>Rate exceeded</Message>`+
			`</Error><RequestId>r1</RequestId></ErrorResponse>`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, status(204), tc.h)
			res, _, _ := revoke(newTestClient(t, testConfig(rec.srv.URL), nil, nil))
			if res.Outcome != connectors.Done || rec.count() != 2 {
				t.Fatalf("got %s after %d requests", res, rec.count())
			}
		})
	}
}

func TestPlain403IsPermanentAndNotRetried(t *testing.T) {
	rec := newRecorder(t, body(403, `{"errorCode":"E0000006"}`))
	res, _, _ := revoke(newTestClient(t, testConfig(rec.srv.URL), nil, nil))
	if res.Outcome != connectors.Permanent || rec.count() != 1 {
		t.Fatalf("got %s after %d requests", res, rec.count())
	}
}

func TestWaitPastTheDeadlineGivesUpAtOnce(t *testing.T) {
	rec := newRecorder(t, status(429, "Retry-After", "3"))
	c := newTestClient(t, testConfig(rec.srv.URL), nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	resp, err := c.Do(ctx, Request{Method: http.MethodDelete, Path: "/x"})
	var te *ThrottledError
	if !errors.As(err, &te) || te.Limit != "deadline" {
		t.Fatalf("err = %v, want a ThrottledError past the deadline", err)
	}
	res := c.Result(resp, err)
	if res.Outcome != connectors.Retryable || rec.count() != 1 {
		t.Fatalf("got %s after %d requests", res, rec.count())
	}
}

func TestWaitPastMaxWaitGivesUpAtOnce(t *testing.T) {
	rec := newRecorder(t, status(429, "Retry-After", "60"))
	res, _, err := revoke(newTestClient(t, testConfig(rec.srv.URL), nil, nil))
	var te *ThrottledError
	if !errors.As(err, &te) || te.Limit != "max_wait" || te.Wait != time.Minute {
		t.Fatalf("err = %v, want a ThrottledError past max wait", err)
	}
	if res.Outcome != connectors.Retryable || rec.count() != 1 {
		t.Fatalf("got %s after %d requests", res, rec.count())
	}
}

func TestNonIdempotentCallIsNotRetriedBlindly(t *testing.T) {
	rec := newRecorder(t, status(201), status(500))
	c := newTestClient(t, testConfig(rec.srv.URL), nil, nil)
	resp, err := c.Do(context.Background(), Request{Method: http.MethodPost,
		Path: "/keys", Body: []byte(`{}`)})
	if res := c.Result(resp, err); res.Outcome != connectors.Retryable ||
		rec.count() != 1 {
		t.Fatalf("got %s after %d requests, want one try", res, rec.count())
	}
}

func TestNonIdempotentCallWithAKeyIsRetried(t *testing.T) {
	var keys []string
	var mu sync.Mutex
	h := func(code int) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			mu.Unlock()
			w.WriteHeader(code)
		}
	}
	rec := newRecorder(t, h(201), h(500))
	c := newTestClient(t, testConfig(rec.srv.URL), nil, nil)
	resp, err := c.Do(context.Background(), Request{Method: http.MethodPost,
		Path: "/keys", Body: []byte(`{}`), IdempotencyKey: "k1"})
	if res := c.Result(resp, err); res.Outcome != connectors.Done ||
		strings.Join(keys, ",") != "k1,k1" {
		t.Fatalf("got %s with keys %v", res, keys)
	}
}

func TestNonIdempotentCallIsRetriedAfter429(t *testing.T) {
	rec := newRecorder(t, status(201), status(429, "Retry-After", "0"))
	c := newTestClient(t, testConfig(rec.srv.URL), nil, nil)
	resp, err := c.Do(context.Background(), Request{Method: http.MethodPost,
		Path: "/keys", Body: []byte(`{}`)})
	if res := c.Result(resp, err); res.Outcome != connectors.Done ||
		rec.count() != 2 {
		t.Fatalf("got %s after %d requests", res, rec.count())
	}
}

func TestServerErrorStormOpensTheBreaker(t *testing.T) {
	rec := newRecorder(t, status(503))
	cfg := testConfig(rec.srv.URL)
	cfg.Breaker = BreakerConfig{Failures: 4, OpenFor: time.Minute}
	c := newTestClient(t, cfg, nil, nil)
	for range 2 {
		if res, _, _ := revoke(c); res.Outcome != connectors.Retryable {
			t.Fatalf("got %s during the storm", res)
		}
	}
	sent := rec.count()
	res, _, err := revoke(c)
	if res.Outcome != connectors.Retryable || !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("got %s (%v), want retryable with the breaker open", res, err)
	}
	if sent != 4 || rec.count() != sent {
		t.Fatalf("server saw %d then %d requests, want 4 then none", sent,
			rec.count())
	}
}

func TestSlowAnswerHitsTheAttemptTimeout(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	rec := newRecorder(t, slow)
	cfg := testConfig(rec.srv.URL)
	cfg.Timeout, cfg.Retry.Attempts = 50*time.Millisecond, 2
	res, _, err := revoke(newTestClient(t, cfg, nil, nil))
	var ne net.Error
	if res.Outcome != connectors.Retryable || rec.count() != 2 ||
		!errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %s after %d requests: %v", res, rec.count(), err)
	}
}

func TestSecretsStayOutOfErrorsAndLogs(t *testing.T) {
	const secret = "00aBcD-super-secret-token"
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"errorCode":"E0000011","errorSummary":"Invalid token: %s"}`,
			r.Header.Get("Authorization"))
	}
	rec := newRecorder(t, echo)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newTestClient(t, testConfig(rec.srv.URL), SSWS(NewSecret(secret)), log)
	resp, err := c.Do(context.Background(), Request{Method: http.MethodGet,
		Path: "/api/v1/users", Query: map[string][]string{"api_key": {secret}}})
	res := c.Result(resp, err)
	if !strings.Contains(string(resp.Body), secret) {
		t.Fatal("the server did not echo the secret; the test proves nothing")
	}
	text := fmt.Sprintf("%v %+v %#v %s", res, res, res, logs.String())
	if strings.Contains(text, secret) {
		t.Fatalf("secret leaked: %s", text)
	}
}

func TestSecretInTransportErrorURLIsRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := testConfig(base)
	cfg.Retry.Attempts = 2
	c := newTestClient(t, cfg, Bearer(NewSecret("hunter2-bearer")), log)
	resp, err := c.Do(context.Background(), Request{Method: http.MethodGet,
		Path: "/x", Query: map[string][]string{"sig": {"sekret-sig"}}})
	res := c.Result(resp, err)
	text := fmt.Sprint(res, err, logs.String())
	if res.Outcome != connectors.Retryable || strings.Contains(text, "sekret-sig") ||
		strings.Contains(text, "hunter2") {
		t.Fatalf("got %s; text: %s", res, text)
	}
}

func TestAbsoluteLinkToAnotherHostIsRefused(t *testing.T) {
	rec := newRecorder(t, status(200))
	c := newTestClient(t, testConfig(rec.srv.URL), Bearer(NewSecret("tok-123456")), nil)
	resp, err := c.Do(context.Background(), Request{Method: http.MethodGet,
		Path: "https://evil.example/steal"})
	if res := c.Result(resp, err); res.Outcome != connectors.Permanent ||
		rec.count() != 0 {
		t.Fatalf("got %s after %d requests", res, rec.count())
	}
}

func TestPagesFollowsLinksToTheEnd(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		after := r.URL.Query().Get("after")
		if after != "3" {
			next := fmt.Sprintf("%s/items?after=%d", srv.URL, len(after)+1)
			if after != "" {
				next = fmt.Sprintf("%s/items?after=%d", srv.URL, int(after[0]-'0')+1)
			}
			w.Header().Add("Link", `<`+srv.URL+`/items>; rel="self"`)
			w.Header().Add("Link", `<`+next+`>; rel="next"`)
		}
		fmt.Fprintf(w, `["item-%s"]`, after)
	}))
	defer srv.Close()
	c := newTestClient(t, testConfig(srv.URL), nil, nil)
	var got []string
	err := c.Pages(context.Background(), Request{Method: "GET", Path: "/items"},
		func(r *Response) (string, error) { return NextLink(r.Header), nil },
		func(r *Response) error {
			var page []string
			got = append(got, page...)
			if err := r.JSON(&page); err != nil {
				return err
			}
			got = append(got, page...)
			return nil
		})
	if err != nil || strings.Join(got, ",") != "item-,item-1,item-2,item-3" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestBasicCredentialsAreScrubbedEncodedToo(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"error":"invalid_client","error_description":"got %s"}`,
			r.Header.Get("Authorization"))
	}
	rec := newRecorder(t, echo)
	c := newTestClient(t, testConfig(rec.srv.URL), Basic("ks", NewSecret("pw-SECRET-1")), nil)
	resp, err := c.Do(context.Background(), Request{Method: http.MethodPost, Path: "/revoke"})
	res := c.Result(resp, err)
	if !strings.Contains(string(resp.Body), "Basic ") || strings.Contains(res.String(), "a3M6") {
		t.Fatalf("got %s from body %s", res, resp.Body)
	}
}

func TestA401FetchesANewTokenOnce(t *testing.T) {
	var issued int
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		issued++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, issued)
	}))
	defer tokens.Close()
	api := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-2" {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(204)
	})
	auth := ClientCredentials(ClientCredentialsConfig{TokenURL: tokens.URL,
		ClientID: "c", ClientSecret: NewSecret("s-123456")})
	res, _, _ := revoke(newTestClient(t, testConfig(api.srv.URL), auth, nil))
	if res.Outcome != connectors.Done || issued != 2 || api.count() != 2 {
		t.Fatalf("got %s with %d tokens, %d calls", res, issued, api.count())
	}
}

func TestA401WithAFreshTokenIsPermanent(t *testing.T) {
	api := newRecorder(t, status(401))
	res, _, _ := revoke(newTestClient(t, testConfig(api.srv.URL),
		Bearer(NewSecret("static-123")), nil))
	if res.Outcome != connectors.Permanent || api.count() != 1 {
		t.Fatalf("got %s after %d calls", res, api.count())
	}
}
