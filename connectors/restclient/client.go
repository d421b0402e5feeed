// Package restclient is the HTTP layer every connector shares, on
// github.com/hashicorp/go-retryablehttp: retries with backoff that waits
// at least what the server asks, a circuit breaker per client, a
// client-side rate limit per host, a timeout per attempt, redaction of
// secrets from every error and log line, and one classification of
// answers into connectors.Outcome.
//
// A connector builds one Client per configured instance with New, calls
// Do for each vendor call, and turns the answer into a connectors.Result
// with Client.Result (or Classify).
package restclient

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/killswitch-dev/killswitch/connectors"
)

// maxBody caps how much of an answer is read.
const maxBody = 8 << 20

// defaultTokenTimeout bounds a call to an OAuth token endpoint.
const defaultTokenTimeout = 10 * time.Second

// Request is one vendor call.
type Request struct {
	// Method is the HTTP method; Path is joined to Config.BaseURL, or is
	// an absolute URL on the same scheme and host (a paging link).
	Method, Path string
	// Query is added to the URL. Values are never logged.
	Query url.Values
	// Body is sent as is; JSON unless Header says otherwise.
	Body []byte
	// Header adds or overrides headers.
	Header http.Header
	// Idempotent marks a POST or PATCH as safe to send twice (a revoke).
	// GET, HEAD, PUT, DELETE and OPTIONS are idempotent by HTTP semantics
	// and need not set it. A call that is not idempotent is retried only
	// when the server surely did not act on it (a failed dial, a 429), or
	// when it carries an IdempotencyKey.
	Idempotent bool
	// IdempotencyKey is sent in Dialect.IdempotencyHeader and makes the
	// call safe to retry.
	IdempotencyKey string
	// Secrets are secrets in Body (a token to revoke), scrubbed from any
	// error text along with the Auth's.
	Secrets []Secret
}

// Response is a vendor's answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// RequestID is the vendor's request id, from its headers.
	RequestID string

	client  string
	scrub   scrubber
	dialect Dialect
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) error {
	if err := jsonDecode(r.Body, v); err != nil {
		return fmt.Errorf("%s: decode answer (status %d): %w", r.client,
			r.Status, err)
	}
	return nil
}

// APIError reads the vendor's error from the body, with d (or the
// client's dialect when d is the zero Dialect) and scrubs it.
func (r *Response) APIError(d Dialect) *APIError {
	if d.ParseError == nil && r.dialect.ParseError != nil {
		d = r.dialect
	}
	parse := d.ParseError
	if parse == nil {
		parse = ParseError
	}
	e := parse(r.Status, r.Header, r.Body)
	e.Client, e.Status = r.client, r.Status
	e.Message = truncate(r.scrub.clean(e.Message), maxMessage)
	e.Code = truncate(r.scrub.clean(e.Code), 80)
	e.RequestID = firstOf(e.RequestID, r.RequestID)
	return &e
}

// Client calls one vendor API for one connector instance.
type Client struct {
	name string
	base *url.URL
	cfg  Config
	rc   *retryablehttp.Client
	tr   *transport
	auth Auth
	log  *slog.Logger
}

// New builds a client named name (the connector instance, used in errors,
// logs and the breaker). cfg gets its defaults and is validated; auth
// puts credentials on each attempt. log may be nil.
func New(name string, cfg Config, auth Auth, log *slog.Logger) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("client %s: %w", name, err)
	}
	base, _ := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{name: name, base: base, cfg: cfg, auth: auth,
		log: log.With("component", "restclient", "client", name)}
	c.tr = newTransport(name, cfg, auth, c.log)
	c.rc = c.retryable()
	return c, nil
}

func (c *Client) retryable() *retryablehttp.Client {
	hc := &http.Client{Transport: c.tr, Timeout: c.cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	return &retryablehttp.Client{HTTPClient: hc,
		RetryWaitMin: c.cfg.Retry.MinWait, RetryWaitMax: c.cfg.Retry.MaxWait,
		RetryMax: c.cfg.Retry.Attempts - 1, CheckRetry: c.checkRetry,
		Backoff: c.backoff, ErrorHandler: keepLastResponse}
}

// keepLastResponse is the ErrorHandler: it hands back the last answer and
// error as they are, instead of go-retryablehttp's message, which prints
// the URL with its query.
func keepLastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	return resp, err
}

// Name is the client's name.
func (c *Client) Name() string { return c.name }

// Do sends req, retrying as Config.Retry says, and reads the answer. Any
// status is a Response with a nil error; an error means there is no
// usable answer (connection, timeout, open breaker, a wait the client may
// not make), and may come with the last Response. Errors name the client,
// method and path, never a query, a secret or a header.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	u, err := c.resolve(req.Path, req.Query)
	if err != nil {
		return nil, c.fail(req, &PermanentError{Err: err})
	}
	st := newCall(ctx, req, u)
	rr, err := retryablehttp.NewRequestWithContext(withCall(ctx, st),
		req.Method, u.String(), bodyOf(req.Body))
	if err != nil {
		return nil, c.fail(req, &PermanentError{Err: RedactError(err)})
	}
	c.setHeaders(rr.Header, req)
	hr, err := c.rc.Do(rr)
	resp, readErr := c.read(hr)
	if err == nil {
		err = readErr
	}
	if err != nil {
		return resp, c.fail(req, st.wrap(RedactError(err)))
	}
	return resp, nil
}

func bodyOf(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func (c *Client) setHeaders(h http.Header, req Request) {
	h.Set("Accept", "application/json")
	h.Set("User-Agent", "killswitch")
	if req.Body != nil {
		h.Set("Content-Type", "application/json")
	}
	for k, vs := range req.Header {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	if req.IdempotencyKey != "" {
		h.Set(firstOf(c.cfg.Dialect.IdempotencyHeader, "Idempotency-Key"),
			req.IdempotencyKey)
	}
}

// read takes the whole answer and closes it.
func (c *Client) read(hr *http.Response) (*Response, error) {
	if hr == nil {
		return nil, nil
	}
	defer hr.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hr.Body, maxBody))
	resp := &Response{Status: hr.StatusCode, Header: hr.Header, Body: body,
		RequestID: requestID(hr.Header, c.cfg.Dialect), client: c.name,
		scrub: c.scrub(), dialect: c.cfg.Dialect}
	if err != nil {
		return resp, fmt.Errorf("read answer: %w", err)
	}
	return resp, nil
}

// fail names the call in an error and scrubs secrets from it.
func (c *Client) fail(req Request, err error) error {
	s := append(newScrubber(req.Secrets...), c.scrub()...)
	return &callError{text: s.clean(fmt.Sprintf("%s: %s %s: %v", c.name,
		req.Method, pathOnly(req.Path), err)), err: err}
}

// callError is an error of Do: its text is scrubbed, its chain kept for
// errors.Is and errors.As.
type callError struct {
	text string
	err  error
}

func (e *callError) Error() string { return e.text }

func (e *callError) Unwrap() error { return e.err }

// scrub lists the secrets the client's Auth holds now.
func (c *Client) scrub() scrubber {
	if sh, ok := c.auth.(SecretHolder); ok {
		return newScrubber(sh.Secrets()...)
	}
	return nil
}

// Result classifies the outcome of Do with the client's dialect, and
// scrubs the request's secrets from any vendor text.
func (c *Client) Result(resp *Response, err error, secrets ...Secret) connectors.Result {
	if resp != nil && len(secrets) > 0 {
		resp.scrub = append(resp.scrub, newScrubber(secrets...)...)
	}
	return Classify(resp, err, c.cfg.Dialect)
}

// resolve joins path to the base URL; an absolute path must stay on the
// base URL's scheme and host, so credentials never go elsewhere.
func (c *Client) resolve(path string, q url.Values) (*url.URL, error) {
	var u *url.URL
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		abs, err := url.Parse(path)
		if err != nil || abs.Scheme != c.base.Scheme || abs.Host != c.base.Host {
			return nil, fmt.Errorf("link %s leaves %s", redactRaw(path),
				c.base.Host)
		}
		u = abs
	} else {
		rel, err := url.Parse(path)
		if err != nil {
			return nil, fmt.Errorf("bad path: %w", RedactError(err))
		}
		u = c.base.JoinPath(rel.EscapedPath())
		u.RawQuery = rel.RawQuery
	}
	return withQuery(u, q), nil
}

func withQuery(u *url.URL, q url.Values) *url.URL {
	if len(q) == 0 {
		return u
	}
	all := u.Query()
	for k, vs := range q {
		all[k] = append(all[k], vs...)
	}
	u.RawQuery = all.Encode()
	return u
}

// pathOnly drops the query and host of a path for error text.
func pathOnly(p string) string {
	if u, err := url.Parse(p); err == nil {
		return u.Path
	}
	return "[unparseable path]"
}
