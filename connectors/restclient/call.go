package restclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// call is the state of one Do across its attempts. go-retryablehttp's
// hooks find it in the request's context.
type call struct {
	// ctx is the caller's context: its deadline bounds every wait, and
	// its end is not the service's fault.
	ctx          context.Context
	method, path string
	idempotent   bool
	attempt      int
	// asked is what the last answer asked to wait.
	asked      time.Duration
	lastReason string
	// permanent marks a transport failure that no retry can fix.
	permanent bool
	// reauthed is set once a 401 made the client fetch a new token.
	reauthed bool
}

type callKey struct{}

func newCall(ctx context.Context, req Request, u *url.URL) *call {
	return &call{ctx: ctx, method: req.Method, path: u.Path,
		idempotent: req.Idempotent || req.IdempotencyKey != "" ||
			idempotentMethod(req.Method)}
}

func withCall(ctx context.Context, st *call) context.Context {
	return context.WithValue(ctx, callKey{}, st)
}

func callFrom(ctx context.Context) *call {
	st, _ := ctx.Value(callKey{}).(*call)
	if st == nil {
		return &call{ctx: ctx}
	}
	return st
}

func (st *call) wrap(err error) error {
	if st.permanent {
		return &PermanentError{Err: err}
	}
	return err
}

func idempotentMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPut,
		http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

var errEmptyBody = errors.New("empty body")

func jsonDecode(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errEmptyBody
	}
	return json.Unmarshal(b, v)
}
