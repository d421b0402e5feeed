package restclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"
)

// ErrBreakerOpen is the error of a call refused by an open circuit
// breaker. It is Retryable: the action stays in the outbox.
var ErrBreakerOpen = errors.New("circuit breaker open: service failing, not called")

// errNotSent marks failures before a request left: the rate-limit wait.
var errNotSent = errors.New("not sent")

// errServer and errNotCounted tell the breaker how an attempt went.
var (
	errServer     = errors.New("server failure")
	errNotCounted = errors.New("not the service's fault")
)

// transport sends one attempt: through the breaker, under the host's rate
// limit, with credentials applied to a copy of the request.
type transport struct {
	base     http.RoundTripper
	auth     Auth
	breaker  *gobreaker.TwoStepCircuitBreaker[struct{}]
	limiters *hostLimiters
	log      *slog.Logger
}

func newTransport(name string, cfg Config, auth Auth, log *slog.Logger) *transport {
	if auth == nil {
		auth = None()
	}
	return &transport{base: cleanhttp.DefaultPooledTransport(), auth: auth,
		breaker: newBreaker(name, cfg.Breaker, log), log: log,
		limiters: newHostLimiters(cfg.RateLimit, cfg.Burst)}
}

func newBreaker(name string, b BreakerConfig,
	log *slog.Logger) *gobreaker.TwoStepCircuitBreaker[struct{}] {
	return gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name: name, MaxRequests: b.Probes, Timeout: b.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= b.Failures
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errNotCounted) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			log.Warn("circuit breaker changed state", "from", from.String(),
				"to", to.String())
		},
	})
}

// RoundTrip sends one attempt and tells the breaker how it went.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	done, err := t.breaker.Allow()
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrBreakerOpen, err)
	}
	start := time.Now()
	resp, err := t.send(r)
	done(verdict(callFrom(r.Context()), resp, err))
	t.logAttempt(r, resp, err, time.Since(start))
	return resp, err
}

func (t *transport) send(r *http.Request) (*http.Response, error) {
	if err := t.limiters.wait(r.Context(), r.URL.Host); err != nil {
		return nil, fmt.Errorf("%w: client-side rate limit: %w", errNotSent, err)
	}
	r = r.Clone(r.Context())
	if err := t.auth.Apply(r); err != nil {
		return nil, err
	}
	return t.base.RoundTrip(r)
}

// verdict is what an attempt says about the service: a failure for a
// transport error or a 5xx other than 501, nothing when the caller gave
// up or credentials could not be had, a success otherwise.
func verdict(st *call, resp *http.Response, err error) error {
	var ae *AuthError
	switch {
	case st.ctx.Err() != nil || errors.As(err, &ae) || errors.Is(err, errNotSent):
		return errNotCounted
	case err != nil:
		return errServer
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return errServer
	}
	return nil
}

func (t *transport) logAttempt(r *http.Request, resp *http.Response,
	err error, took time.Duration) {
	if !t.log.Enabled(r.Context(), slog.LevelDebug) {
		return
	}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	t.log.Debug("http attempt", "method", r.Method, "path", r.URL.Path,
		"status", status, "took", took, "failed", err != nil)
}

// hostLimiters keeps one token bucket per target host.
type hostLimiters struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	byKey map[string]*rate.Limiter
}

func newHostLimiters(perSecond float64, burst int) *hostLimiters {
	l := rate.Inf
	if perSecond > 0 {
		l = rate.Limit(perSecond)
	}
	return &hostLimiters{limit: l, burst: burst,
		byKey: map[string]*rate.Limiter{}}
}

func (h *hostLimiters) wait(ctx context.Context, host string) error {
	if h.limit == rate.Inf {
		return nil
	}
	h.mu.Lock()
	l, ok := h.byKey[host]
	if !ok {
		l = rate.NewLimiter(h.limit, h.burst)
		h.byKey[host] = l
	}
	h.mu.Unlock()
	return l.Wait(ctx)
}
