package restclient

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/killswitch-dev/killswitch/connectors"
)

// The reasons Reason returns. They are stable and few, so metrics may
// label by them; they never hold a URL, a status text or a vendor code.
const (
	ReasonThrottled      = "throttled"
	ReasonServerError    = "server_error"
	ReasonClientError    = "client_error"
	ReasonTimeout        = "timeout"
	ReasonNetwork        = "network"
	ReasonBreakerOpen    = "breaker_open"
	ReasonAuthentication = "authentication"
	ReasonOther          = "other"
)

// Reason names, from a short closed set, why a connector's call failed:
// the kind of HTTP status, a timeout, the network, an open breaker, the
// token endpoint. A connector that is not built on this client falls
// back to its outcome's class (ReasonOther). It returns "" for a result
// that is not a failure.
func Reason(res connectors.Result) string {
	if res.Outcome != connectors.Retryable && res.Outcome != connectors.Permanent {
		return ""
	}
	err := res.Err
	var api *APIError
	var status *StatusError
	var auth *AuthError
	var netErr net.Error
	switch {
	case errors.Is(err, ErrBreakerOpen):
		return ReasonBreakerOpen
	case errors.As(err, &auth):
		return ReasonAuthentication
	case errors.As(err, &api):
		return statusReason(api.Status, res.Outcome)
	case errors.As(err, &status) && status.Resp != nil:
		return statusReason(status.Resp.Status, res.Outcome)
	case errors.Is(err, context.DeadlineExceeded):
		return ReasonTimeout
	case errors.As(err, &netErr) && netErr.Timeout():
		return ReasonTimeout
	case errors.As(err, &netErr):
		return ReasonNetwork
	}
	return ReasonOther
}

// statusReason classes a status. A 4xx that Classify found retryable,
// other than 408, is a vendor's way of throttling (a Google 403
// rateLimitExceeded, an AWS 400 Throttling).
func statusReason(status int, o connectors.Outcome) string {
	switch {
	case status == http.StatusTooManyRequests:
		return ReasonThrottled
	case status == http.StatusRequestTimeout:
		return ReasonTimeout
	case status >= 500:
		return ReasonServerError
	case o == connectors.Retryable:
		return ReasonThrottled
	}
	return ReasonClientError
}
