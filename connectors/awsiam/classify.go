package awsiam

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// signedOnly is the Auth of the shared client: the SDK has signed each
// request already; it names the secrets to scrub from any text.
type signedOnly []restclient.Secret

func (signedOnly) Apply(*http.Request) error { return nil }

func (s signedOnly) Secrets() []restclient.Secret { return s }

func secrets(cfg Config) restclient.Auth {
	return signedOnly{cfg.SecretAccessKey, cfg.SessionToken}
}

// isNoSuchEntity reports IAM's not-found answer.
func isNoSuchEntity(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchEntity"
}

// result classifies the outcome of an SDK call: IAM's error codes
// first, then the HTTP status, then the shared client's own failures
// (an open breaker, a timeout).
func (c *Connector) result(err error) connectors.Result {
	if err == nil {
		return connectors.Result{Outcome: connectors.Done}
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return restclient.Classify(nil, err, restclient.Dialect{})
	}
	res := connectors.Result{Outcome: connectors.Permanent,
		Err: fmt.Errorf("%s: %s: %s", c.name, ae.ErrorCode(),
			ae.ErrorMessage()), VendorCode: ae.ErrorCode()}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		res.RequestID = requestID(err)
		if s := re.HTTPStatusCode(); s == http.StatusTooManyRequests || s >= 500 {
			res.Outcome = connectors.Retryable
		}
	}
	if ae.ErrorCode() == "Throttling" || ae.ErrorCode() == "ServiceFailure" {
		res.Outcome = connectors.Retryable
	}
	return res
}

// requestID is IAM's request id of a failed call, when it gave one.
func requestID(err error) string {
	var e interface{ ServiceRequestID() string }
	if errors.As(err, &e) {
		return e.ServiceRequestID()
	}
	return ""
}

// user is the principal's IAM user name: the first alias of the
// configured types, an ARN reduced to its last path segment.
func (c *Connector) user(aliases []store.Alias) string {
	for _, typ := range c.cfg.UserAliases {
		for _, a := range aliases {
			if a.Type != typ || a.Value == "" {
				continue
			}
			if !strings.HasPrefix(a.Value, "arn:") {
				return a.Value
			}
			if _, res, ok := strings.Cut(a.Value, ":user/"); ok {
				return res[strings.LastIndex(res, "/")+1:]
			}
		}
	}
	return ""
}

func (c *Connector) unsupported(format string, args ...any) connectors.Result {
	return connectors.Result{Outcome: connectors.Unsupported,
		Err: fmt.Errorf("%s: "+format, append([]any{c.name}, args...)...)}
}

func (c *Connector) permanent(format string, args ...any) connectors.Result {
	return connectors.Result{Outcome: connectors.Permanent,
		Err: fmt.Errorf("%s: "+format, append([]any{c.name}, args...)...)}
}
