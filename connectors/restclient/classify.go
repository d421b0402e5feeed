package restclient

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/killswitch-dev/killswitch/connectors"
)

// Dialect is how one vendor words its answers, for the parts that the
// shared rules cannot guess. The zero Dialect reads the error bodies of
// every vendor the connectors know (see ParseError) and is often enough.
type Dialect struct {
	// ParseError reads the vendor's error body; nil uses ParseError.
	ParseError func(status int, h http.Header, body []byte) APIError
	// AlreadyDone reports vendor answers that mean the change is already
	// in effect (a 400 "already suspended"). 404 and 410 always count.
	AlreadyDone func(e *APIError) bool
	// Throttled reports vendor rate-limit answers that are neither a 429
	// nor one of the non-429 signals every client knows (Google 403
	// rateLimitExceeded, GitHub 403 with x-ratelimit-remaining 0 or
	// retry-after, AWS 400 Throttling).
	Throttled func(status int, h http.Header, body []byte) bool
	// RequestIDHeaders name the headers that carry the vendor's request
	// id, tried before the common ones (X-Request-Id, X-Okta-Request-Id,
	// request-id, X-GitHub-Request-Id, X-Amzn-RequestId, ...).
	RequestIDHeaders []string
	// IdempotencyHeader carries Request.IdempotencyKey; default
	// "Idempotency-Key".
	IdempotencyHeader string
}

// APIError is a vendor's refusal: status, the vendor's own error code and
// message, and its request id for a support ticket. Message has been
// scrubbed of the client's secrets and cut to a few hundred bytes.
type APIError struct {
	// Client is the name of the client that called.
	Client    string
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: status %d", e.Client, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// PermanentError is a call that cannot succeed by trying again: a bad
// path, a TLS failure, credentials the token endpoint refused.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }

func (e *PermanentError) Unwrap() error { return e.Err }

// Classify turns the outcome of Client.Do into a connectors.Result:
//
//   - 2xx: Done.
//   - 404, 410, or the dialect's "already" codes: AlreadyDone. A
//     connector that addresses a principal, not a session, must check a
//     404 itself: an unknown user is not a revoked one.
//   - 408, 429, 5xx other than 501, vendor throttling, connection errors,
//     timeouts, an open breaker: Retryable.
//   - 501: Unsupported.
//   - other statuses, and *PermanentError: Permanent.
//
// Err, VendorCode and RequestID carry the vendor's error, never a secret.
func Classify(resp *Response, err error, d Dialect) connectors.Result {
	if err != nil {
		return classifyError(resp, err, d)
	}
	if resp.Status >= 200 && resp.Status < 300 {
		return connectors.Result{Outcome: connectors.Done,
			RequestID: resp.RequestID}
	}
	e := resp.APIError(d)
	return connectors.Result{Outcome: statusOutcome(resp, e, d), Err: e,
		VendorCode: e.Code, RequestID: e.RequestID}
}

func statusOutcome(resp *Response, e *APIError, d Dialect) connectors.Outcome {
	switch {
	case resp.Status == http.StatusNotFound || resp.Status == http.StatusGone:
		return connectors.AlreadyDone
	case d.AlreadyDone != nil && d.AlreadyDone(e):
		return connectors.AlreadyDone
	case retryableStatus(resp.Status) || resp.Status == http.StatusRequestTimeout ||
		throttled(resp.Status, resp.Header, resp.Body, d):
		return connectors.Retryable
	case resp.Status == http.StatusNotImplemented:
		return connectors.Unsupported
	}
	return connectors.Permanent
}

func classifyError(resp *Response, err error, d Dialect) connectors.Result {
	var se *StatusError
	if errors.As(err, &se) {
		return Classify(se.Resp, nil, d)
	}
	res := connectors.Result{Outcome: connectors.Retryable, Err: err}
	if resp != nil {
		e := resp.APIError(d)
		res.VendorCode, res.RequestID = e.Code, e.RequestID
	}
	var pe *PermanentError
	var ae *AuthError
	switch {
	case errors.As(err, &pe):
		res.Outcome = connectors.Permanent
	case errors.As(err, &ae) && !ae.Retryable:
		res.Outcome = connectors.Permanent
	}
	return res
}

// retryableStatus is go-retryablehttp's rule: 429, and 5xx but 501.
func retryableStatus(status int) bool {
	return status == http.StatusTooManyRequests ||
		(status >= 500 && status != http.StatusNotImplemented)
}
