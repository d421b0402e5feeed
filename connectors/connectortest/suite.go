package connectortest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
)

// Fixture is one connector set up against its fake, fresh for each
// scenario of the suite.
type Fixture struct {
	// Server is the vendor fake.
	Server *Server
	// Secret is the credential the connector is configured with. The
	// suite checks that it reaches the server and nothing else.
	Secret string
	// Connect builds the connector with http as its HTTP settings
	// (BaseURL already pointing at Server) and log as its logger.
	Connect func(http restclient.Config, log *slog.Logger) (connectors.Connector, error)
	// Revoke is a request the fake holds something for; Effects counts
	// the changes the fake has made for it so far.
	Revoke  connectors.Request
	Effects func() int
	// TooMany is the vendor's body on a 429, JSON; "" for none.
	TooMany string
	// ServerError is the vendor's body on a 5xx.
	ServerError string
	// Throttle is the vendor's own rate-limit answer asking to wait until
	// until (Okta X-Rate-Limit-Reset, GitHub 403 with x-ratelimit-*). It
	// returns the time before which a retry is too early, or the zero
	// time when the vendor names none (Google 403 rateLimitExceeded).
	// Nil when the vendor throttles only with Retry-After or not at all.
	Throttle func(until time.Time) (Fault, time.Time)
	// Unaddressable are requests the connector cannot act on (no alias
	// of a type it reads): each must be Unsupported, with a reason.
	Unaddressable []connectors.Request
	// Paging lists through the fake's pages, when the connector lists.
	Paging *Paging
}

// Paging seeds the fake with more items than fit one page and lists them.
type Paging struct {
	// Seed makes the fake hold n items for Revoke's principal.
	Seed func(n int)
	// List returns how many items the connector found.
	List func(ctx context.Context, c connectors.Connector) (int, error)
}

// Setup builds a fresh Fixture for one scenario.
type Setup func(t *testing.T) *Fixture

// quick are HTTP settings that keep the suite fast: short minimum waits,
// a breaker that opens after three failures.
func quick(base string) restclient.Config {
	return restclient.Config{BaseURL: base, Timeout: 2 * time.Second,
		Retry: restclient.RetryConfig{Attempts: 3, MinWait: time.Millisecond,
			MaxWait: 5 * time.Second, Jitter: 0.01},
		Breaker: restclient.BreakerConfig{Failures: 3, OpenFor: time.Minute}}
}

// Run runs the scenarios every connector must pass.
func Run(t *testing.T, setup Setup) {
	scenarios := []struct {
		name string
		run  func(t *testing.T, fx *Fixture)
	}{
		{"Revoking twice changes the provider once", revokeTwice},
		{"A 429 with Retry-After in seconds is waited out", retryAfterSeconds},
		{"A 503 with Retry-After as an HTTP date is waited out", retryAfterDate},
		{"The vendor's own throttling answer is waited out", vendorThrottle},
		{"A 5xx storm opens the breaker and the action stays pending", storm},
		{"A slow answer hits the per-call timeout", slowAnswer},
		{"Paging is followed to the end", paging},
		{"No secret reaches an error or the log", noSecret},
		{"A principal with no usable alias is unsupported", unaddressable},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t, setup(t))
		})
	}
}

func connect(t *testing.T, fx *Fixture, cfg restclient.Config,
	log *slog.Logger) connectors.Connector {
	t.Helper()
	c, err := fx.Connect(cfg, log)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return c
}

func revoke(c connectors.Connector, req connectors.Request) connectors.Result {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.Revoke(ctx, req)
}

func revokeTwice(t *testing.T, fx *Fixture) {
	c := connect(t, fx, quick(fx.Server.URL), nil)
	first, second := revoke(c, fx.Revoke), revoke(c, fx.Revoke)
	if !first.Succeeded() || !second.Succeeded() {
		t.Fatalf("first %s, second %s; both must succeed", first, second)
	}
	if n := fx.Effects(); n != 1 {
		t.Fatalf("the provider changed %d times, want once", n)
	}
}

func retryAfterSeconds(t *testing.T, fx *Fixture) {
	fx.Server.Inject(Fault{Status: http.StatusTooManyRequests,
		Header: http.Header{"Retry-After": {"1"}}, Body: fx.TooMany})
	waitedUntil(t, fx, func(first time.Time) time.Time {
		return first.Add(time.Second)
	})
}

func retryAfterDate(t *testing.T, fx *Fixture) {
	until := time.Now().Add(2 * time.Second).Truncate(time.Second)
	fx.Server.Inject(Fault{Status: http.StatusServiceUnavailable,
		Header: http.Header{"Retry-After": {until.UTC().Format(http.TimeFormat)}},
		Body:   fx.ServerError})
	waitedUntil(t, fx, func(time.Time) time.Time { return until })
}

func vendorThrottle(t *testing.T, fx *Fixture) {
	if fx.Throttle == nil {
		t.Skip("the vendor throttles with Retry-After only, covered above")
	}
	f, until := fx.Throttle(time.Now().Add(2 * time.Second))
	fx.Server.Inject(f)
	waitedUntil(t, fx, func(time.Time) time.Time { return until })
}

// waitedUntil revokes through one injected fault and checks that the
// request after the faulted one arrived no earlier than the server asked.
func waitedUntil(t *testing.T, fx *Fixture, asked func(first time.Time) time.Time) {
	c := connect(t, fx, quick(fx.Server.URL), nil)
	before := fx.Server.Count()
	if res := revoke(c, fx.Revoke); !res.Succeeded() {
		t.Fatalf("got %s, want success after the wait", res)
	}
	arr := fx.Server.Arrivals()[before:]
	if len(arr) < 2 {
		t.Fatalf("%d requests, want the throttled one and a retry", len(arr))
	}
	if want := asked(arr[0].At); arr[1].At.Before(want) {
		t.Fatalf("retried at %s, the server asked to wait until %s",
			arr[1].At.Format(time.StampMilli), want.Format(time.StampMilli))
	}
}

func storm(t *testing.T, fx *Fixture) {
	c := connect(t, fx, quick(fx.Server.URL), nil)
	fx.Server.Storm(Fault{Status: http.StatusInternalServerError,
		Body: fx.ServerError})
	for i := range 3 {
		if res := revoke(c, fx.Revoke); res.Outcome != connectors.Retryable {
			t.Fatalf("call %d in the storm: %s, want retryable", i, res)
		}
	}
	fx.Server.Calm()
	sent := fx.Server.Count()
	res := revoke(c, fx.Revoke)
	if res.Outcome != connectors.Retryable ||
		!errors.Is(res.Err, restclient.ErrBreakerOpen) {
		t.Fatalf("after the storm: %s, want retryable with the breaker open", res)
	}
	if fx.Server.Count() != sent {
		t.Fatal("the open breaker let a request through")
	}
	if fx.Effects() != 0 {
		t.Fatal("the provider changed during the storm")
	}
}

func slowAnswer(t *testing.T, fx *Fixture) {
	cfg := quick(fx.Server.URL)
	cfg.Timeout, cfg.Retry.Attempts = 100*time.Millisecond, 2
	c := connect(t, fx, cfg, nil)
	fx.Server.Storm(Fault{Delay: 3 * time.Second})
	res := revoke(c, fx.Revoke)
	if res.Outcome != connectors.Retryable || !timedOut(res.Err) {
		t.Fatalf("got %s, want retryable on the attempt timeout", res)
	}
}

// timedOut reports an error of a call cut by its timeout: net/http's
// Client.Timeout error, or the deadline of the context it derives.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

func paging(t *testing.T, fx *Fixture) {
	if fx.Paging == nil {
		t.Skip("the connector lists nothing")
	}
	c := connect(t, fx, quick(fx.Server.URL), nil)
	fx.Paging.Seed(7)
	n, err := fx.Paging.List(context.Background(), c)
	if err != nil || n != 7 {
		t.Fatalf("listed %d (%v), want all 7 across pages", n, err)
	}
}

func noSecret(t *testing.T, fx *Fixture) {
	fx.Server.Storm(Fault{Status: http.StatusUnauthorized, Echo: true,
		Body: `{"errorCode":"E0000011","errorSummary":"Invalid token: {{headers}}",` +
			`"error":{"code":"InvalidAuthenticationToken","message":"{{headers}}"},` +
			`"message":"Bad credentials {{headers}}"}`})
	NoSecret(t, fx.Secret, fx.Server, func(log *slog.Logger) []any {
		c := connect(t, fx, quick(fx.Server.URL), log)
		res := revoke(c, fx.Revoke)
		if res.Succeeded() {
			t.Fatalf("got %s from a server refusing the credentials", res)
		}
		out := []any{res, res.Err}
		if fx.Paging != nil {
			_, err := fx.Paging.List(context.Background(), c)
			out = append(out, err)
		}
		return out
	})
}

// NoSecret runs fail, which must make a connector fail against srv with a
// logger that captures everything, and asserts that secret reached the
// server (else the check proves nothing) but appears in none of what fail
// returns (results, errors: printed with %v, %+v and %#v) nor in the log.
func NoSecret(t *testing.T, secret string, srv *Server,
	fail func(log *slog.Logger) []any) {
	t.Helper()
	log, buf := Logger()
	outs := fail(log)
	if !srv.Saw(secret) {
		t.Fatal("the secret never reached the server; configure it")
	}
	for _, o := range outs {
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			if s := fmt.Sprintf(verb, o); strings.Contains(s, secret) {
				t.Fatalf("secret in %s of a result: %s", verb, s)
			}
		}
	}
	if strings.Contains(buf.String(), secret) {
		t.Fatalf("secret in the log:\n%s", buf.String())
	}
}

func unaddressable(t *testing.T, fx *Fixture) {
	if len(fx.Unaddressable) == 0 {
		t.Skip("the connector can address every principal")
	}
	c := connect(t, fx, quick(fx.Server.URL), nil)
	for _, req := range fx.Unaddressable {
		res := revoke(c, req)
		if res.Outcome != connectors.Unsupported || res.Err == nil {
			t.Errorf("%s with aliases %v: got %s, want unsupported with a reason",
				req.Op, req.Aliases, res)
		}
	}
	if fx.Effects() != 0 {
		t.Fatal("an unsupported request changed the provider")
	}
}
