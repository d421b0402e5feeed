package restclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// peekLimit is how much of a 400 or 403 body is read to look for a
// vendor's rate-limit answer.
const peekLimit = 64 << 10

// ThrottledError is a call the server asked to wait longer than the
// client may: past MaxWait or past the caller's deadline. It is
// Retryable; Wait says how long the server asked for.
type ThrottledError struct {
	Status int
	Wait   time.Duration
	Limit  string // "max_wait" or "deadline"
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("status %d: server asks to wait %s, past the %s",
		e.Status, e.Wait.Round(time.Millisecond), strings.ReplaceAll(e.Limit, "_", " "))
}

// checkRetry is the client's retryablehttp.CheckRetry: go-retryablehttp's
// own rule, plus the non-429 rate-limit answers, minus blind retries of
// calls that are not idempotent, and giving up early when the server asks
// to wait longer than the client may.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response,
	err error) (bool, error) {
	st := callFrom(ctx)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	retry, reason := c.shouldRetry(ctx, st, resp, err)
	if !retry {
		return false, nil
	}
	if resp != nil {
		if gaveUp := c.tooLong(st, resp); gaveUp != nil {
			return false, gaveUp
		}
	}
	c.noteRetry(st, reason)
	return true, nil
}

// shouldRetry says whether another attempt may help, and why.
func (c *Client) shouldRetry(ctx context.Context, st *call,
	resp *http.Response, err error) (bool, string) {
	if err != nil {
		return c.retryError(ctx, st, err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return c.reauthenticate(st), "status 401, token refreshed"
	}
	peek(resp)
	limited := resp.StatusCode == http.StatusTooManyRequests ||
		throttled(resp.StatusCode, resp.Header, peeked(resp), c.cfg.Dialect)
	reason := "status " + strconv.Itoa(resp.StatusCode)
	if !st.idempotent {
		return limited, reason // refused unprocessed: safe to send again
	}
	return limited || retryableStatus(resp.StatusCode), reason
}

// reauthenticate drops a cached token once per call after a 401.
func (c *Client) reauthenticate(st *call) bool {
	f, ok := c.auth.(Forgetter)
	if !ok || st.reauthed {
		return false
	}
	st.reauthed = true
	return f.Forget()
}

func (c *Client) retryError(ctx context.Context, st *call, err error) (bool, string) {
	var ae *AuthError
	switch {
	case errors.Is(err, ErrBreakerOpen):
		return false, ""
	case errors.As(err, &ae):
		return ae.Retryable, "authentication"
	}
	if ok, _ := retryablehttp.DefaultRetryPolicy(ctx, nil, err); !ok {
		st.permanent = true
		return false, ""
	}
	if !st.idempotent && !neverSent(err) {
		return false, ""
	}
	return true, "connection error"
}

// neverSent reports errors that happen before a request is written: a
// failed dial, a client-side rate-limit wait.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, errNotSent)
}

// tooLong gives up when the server asks to wait longer than MaxWait or
// than is left before the caller's deadline.
func (c *Client) tooLong(st *call, resp *http.Response) error {
	asked := serverWait(resp, time.Now())
	st.asked = asked
	if asked > c.cfg.Retry.MaxWait {
		return &ThrottledError{Status: resp.StatusCode, Wait: asked,
			Limit: "max_wait"}
	}
	if dl, ok := st.ctx.Deadline(); ok && time.Now().Add(asked).After(dl) {
		return &ThrottledError{Status: resp.StatusCode, Wait: asked,
			Limit: "deadline"}
	}
	return nil
}

// noteRetry logs a retry: at Warn when the reason changed since the last
// one of this call, at Debug otherwise.
func (c *Client) noteRetry(st *call, reason string) {
	st.attempt++
	level := slog.LevelDebug
	if reason != st.lastReason {
		level = slog.LevelWarn
	}
	st.lastReason = reason
	c.log.Log(st.ctx, level, "call will be retried", "method", st.method,
		"path", st.path, "reason", reason, "attempt", st.attempt)
}

// backoff is the client's retryablehttp.Backoff: a doubling wait shrunk
// by jitter, or at least what the server asked (grown by jitter), never
// past the caller's deadline.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int,
	resp *http.Response) time.Duration {
	j := c.cfg.Retry.Jitter
	wait := minWait << min(attempt, 30)
	if wait <= 0 || wait > maxWait {
		wait = maxWait
	}
	wait -= time.Duration(rand.Float64() * j * float64(wait))
	if resp == nil || resp.Request == nil {
		return wait
	}
	st := callFrom(resp.Request.Context())
	if st == nil || st.asked <= 0 {
		return wait
	}
	asked := st.asked + time.Duration(rand.Float64()*j*float64(st.asked))
	if dl, ok := st.ctx.Deadline(); ok {
		asked = max(st.asked, min(asked, time.Until(dl)))
	}
	return max(wait, asked)
}

// serverWait is how long the server asked to wait: Retry-After (seconds
// or an HTTP date) or a rate-limit reset (epoch seconds, or seconds from
// now when small), on throttled and 503 answers. The longest wins.
func serverWait(resp *http.Response, now time.Time) time.Duration {
	var wait time.Duration
	if v := resp.Header.Get("Retry-After"); v != "" {
		wait = max(wait, parseRetryAfter(v, now))
	}
	if resp.StatusCode == http.StatusServiceUnavailable {
		return wait
	}
	for _, name := range []string{"X-Rate-Limit-Reset", "X-Ratelimit-Reset"} {
		if v := resp.Header.Get(name); v != "" {
			wait = max(wait, parseReset(v, now))
		}
	}
	return wait
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// parseReset reads a reset as Unix epoch seconds, or as seconds from now
// when it is too small to be an epoch (some servers send a delta).
func parseReset(v string, now time.Time) time.Duration {
	s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || s < 0 {
		return 0
	}
	if s < 1e9 {
		return time.Duration(s) * time.Second
	}
	return max(time.Unix(s, 0).Sub(now), 0)
}

// throttled reports rate-limit answers that are not a 429: GitHub's 403
// with x-ratelimit-remaining 0 or retry-after, Google's 403 with reason
// rateLimitExceeded or userRateLimitExceeded, AWS's 400 Throttling, and
// whatever the dialect adds.
func throttled(status int, h http.Header, body []byte, d Dialect) bool {
	if d.Throttled != nil && d.Throttled(status, h, body) {
		return true
	}
	switch status {
	case http.StatusForbidden:
		return h.Get("X-Ratelimit-Remaining") == "0" ||
			h.Get("Retry-After") != "" || googleRateLimited(body)
	case http.StatusBadRequest:
		return awsThrottled(body)
	}
	return false
}

func googleRateLimited(body []byte) bool {
	var b struct {
		Error struct {
			Errors []struct{ Reason string } `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil {
		return false
	}
	for _, e := range b.Error.Errors {
		if e.Reason == "rateLimitExceeded" || e.Reason == "userRateLimitExceeded" {
			return true
		}
	}
	return false
}

func awsThrottled(body []byte) bool {
	x := parseXMLError(0, body)
	return x.Code == "Throttling" || x.Code == "ThrottlingException" ||
		x.Code == "RequestLimitExceeded"
}

// peek reads the start of a 400 or 403 body so that rate-limit answers
// can be recognised, and puts it back for whoever reads the response.
func peek(resp *http.Response) {
	if resp.StatusCode != http.StatusBadRequest &&
		resp.StatusCode != http.StatusForbidden {
		return
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	resp.Body = peekedBody{Reader: io.MultiReader(bytes.NewReader(b), resp.Body),
		head: b, Closer: resp.Body}
}

type peekedBody struct {
	io.Reader
	io.Closer
	head []byte
}

func peeked(resp *http.Response) []byte {
	if p, ok := resp.Body.(peekedBody); ok {
		return p.head
	}
	return nil
}
