package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// guard authenticates every request, refuses those whose role is below
// the one their route requires, rate limits failed authentications per
// client address, and audits failures and writes.
type guard struct {
	auth   *Authenticator
	audit  store.Audit
	router *http.ServeMux
	roles  map[string]Role
	// queries are the routes that change nothing though their method
	// is not GET (x-read-only in the spec): not audited as writes.
	queries map[string]bool
	// bodies are the fields of each route's JSON request body.
	bodies map[string]*fields
	// params are the query parameters of each route of the spec.
	params map[string]map[string]bool
	fails  *keyLimiter
	now    func() time.Time
	log    *slog.Logger
	// requireCert refuses requests without a verified client certificate.
	requireCert bool
}

// ServeHTTP runs the checks in order: authentication (rate limited),
// route, role; then the route, audited when it writes.
func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr := ClientAddr(r)
	caller, ok := g.authenticate(w, r, addr)
	if !ok {
		return
	}
	_, pattern := g.router.Handler(r)
	role, known := g.roles[pattern]
	switch {
	case pattern == "":
		g.noRoute(w, r)
		return
	case !known:
		writeProblem(w, r, asProblem(errors.New("route "+pattern+
			" has no role in openapi.yaml"), g.log, r))
		return
	case !caller.Can(role):
		g.refuse(w, r, caller, role)
		return
	}
	r = r.WithContext(WithCaller(r.Context(), caller))
	if r.Method == http.MethodGet || r.Method == http.MethodHead ||
		g.queries[pattern] {
		g.serveRoute(w, r, pattern)
		return
	}
	g.serveWrite(w, r, caller, pattern)
}

// routeMethods are the methods the API's routes take.
var routeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete}

// noRoute answers a request no route takes: 405 with Allow when its path
// is a route's with another method (a POST to a GET-only listing), else
// 404. Both said "no such endpoint", which sent a caller looking for a
// typo in a path that was right.
func (g *guard) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range routeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := g.router.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeProblem(w, r, problem(ProblemCodeNotFound,
			"no such endpoint: "+r.Method+" "+r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeProblem(w, r, problem(ProblemCodeMethodNotAllowed, fmt.Sprintf(
		"%s takes %s, not %s", r.URL.Path, strings.Join(allow, ", "), r.Method)))
}

// serveRoute serves r by its route once its query holds only parameters
// the spec lists, and its body, if the route takes one, is within
// maxBody and holds only fields its schema lists.
func (g *guard) serveRoute(w http.ResponseWriter, r *http.Request,
	pattern string) {
	if known, ok := g.params[pattern]; ok {
		if p := checkQuery(r.URL.Query(), known); p != nil {
			writeProblem(w, r, p)
			return
		}
	}
	if f, ok := g.bodies[pattern]; ok {
		if err := readBody(r, f); err != nil {
			writeProblem(w, r, asProblem(err, g.log, r))
			return
		}
	}
	g.router.ServeHTTP(w, r)
}

// authenticate returns the caller of r's bearer token, or writes the
// problem and returns false. A failure from an address past its limit
// of failures is refused with 429 (neither audited nor counted); a
// valid token is served all the same, so that a guesser does not lock
// out whoever shares its address (a NAT, the proxy in front).
func (g *guard) authenticate(w http.ResponseWriter, r *http.Request,
	addr string) (Caller, bool) {
	secret := bearer(r)
	var c Caller
	err := errNoClientCert
	if !g.requireCert || clientCert(r) != "" {
		c, err = g.auth.Authenticate(r.Context(), secret)
	}
	if err == nil {
		return c, true
	}
	code := authCode(err)
	if code == "" {
		writeProblem(w, r, asProblem(err, g.log, r))
		return Caller{}, false
	}
	if wait := g.fails.wait(addr, g.now()); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
		writeProblem(w, r, problem(ProblemCodeRateLimited,
			"too many failed authentications from this address"))
		return Caller{}, false
	}
	g.fails.take(addr, g.now())
	details := map[string]string{"reason": string(code), "addr": addr,
		"method": r.Method, "path": r.URL.Path}
	if errors.Is(err, errNoClientCert) {
		details["reason"] = "no client certificate"
	}
	subject := "api"
	if secret != "" {
		details["fingerprint"] = Fingerprint(secret)
		subject = "token:" + details["fingerprint"]
	}
	g.record(r, "anonymous@"+addr, "api.auth_failed", subject, details)
	w.Header().Set("WWW-Authenticate", `Bearer realm="killswitch"`)
	p := problem(code, authDetail[code])
	if errors.Is(err, errNoClientCert) {
		p.Detail = "this API needs a client certificate (mTLS) " +
			"signed by the listener's client CA"
	}
	if secret != "" && errors.Is(err, ErrUnknownToken) {
		p.Detail = unknownTokenDetail(secret)
	}
	writeProblem(w, r, p)
	return Caller{}, false
}

// errNoClientCert: the listener requires mTLS and r came without a
// verified client certificate.
var errNoClientCert = fmt.Errorf("no client certificate: %w", ErrNoToken)

// clientCert is the subject of r's verified client certificate, "" when
// it has none.
func clientCert(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 ||
		len(r.TLS.VerifiedChains[0]) == 0 {
		return ""
	}
	return r.TLS.VerifiedChains[0][0].Subject.String()
}

// authDetail explains each authentication problem.
var authDetail = map[ProblemCode]string{
	ProblemCodeUnauthenticated: "send an API token as " +
		"'Authorization: Bearer ks_...'; create one with " +
		"'killswitch tokens create'",
	ProblemCodeTokenExpired: "the token has expired",
	ProblemCodeTokenRevoked: "the token was revoked",
}

// unknownTokenDetail tells a caller who sent a token no one has that it
// was a token, not its absence, that failed, with the fingerprint the
// audit trail records it by (never the token).
func unknownTokenDetail(secret string) string {
	return "no API token has the secret sent (fingerprint " +
		Fingerprint(secret) + "): send the whole secret " +
		"'killswitch tokens create' printed, ks_ included, as " +
		"'Authorization: Bearer ks_...'"
}

// authCode is the problem code of an authentication error, or "" for an
// error that is not the caller's fault.
func authCode(err error) ProblemCode {
	switch {
	case errors.Is(err, ErrNoToken), errors.Is(err, ErrUnknownToken):
		return ProblemCodeUnauthenticated
	case errors.Is(err, ErrTokenExpired):
		return ProblemCodeTokenExpired
	case errors.Is(err, ErrTokenRevoked):
		return ProblemCodeTokenRevoked
	}
	return ""
}

// refuse answers 403 to a caller whose role is below need, and audits it.
func (g *guard) refuse(w http.ResponseWriter, r *http.Request, c Caller,
	need Role) {
	g.record(r, c.Actor(), "api.forbidden", r.URL.Path, map[string]string{
		"method": r.Method, "role": string(c.Role),
		"required": string(need)})
	writeProblem(w, r, problem(ProblemCodeForbidden, "this needs the "+
		string(need)+" role; the token has "+string(c.Role)))
}

// serveWrite serves a request that may change something and audits it
// with the caller and the status it got.
func (g *guard) serveWrite(w http.ResponseWriter, r *http.Request,
	c Caller, pattern string) {
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	g.serveRoute(sw, r, pattern)
	details := map[string]string{"method": r.Method, "route": pattern,
		"status": strconv.Itoa(sw.status)}
	if cert := clientCert(r); cert != "" {
		details["client_cert"] = cert
	}
	g.record(r, c.Actor(), "api.write", r.URL.Path, details)
}

// record appends one audit entry; a failure is logged, since the answer
// to the request is already decided. A client that hangs up does not
// cancel it: a refusal or a write is recorded all the same.
func (g *guard) record(r *http.Request, actor, event, subject string,
	details map[string]string) {
	d, _ := json.Marshal(details)
	ctx := context.WithoutCancel(r.Context())
	err := g.audit.AppendAudit(ctx, store.AuditEntry{
		Time: g.now(), Actor: actor, Event: event, Subject: subject,
		Details: d})
	if err != nil {
		g.log.Error("audit api request", "event", event, "err", err)
	}
}

// bearer is the token of r's Authorization header, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// ClientAddr is the address r came from, as the rate limit counts it:
// an IPv4 address, or the /64 of an IPv6 one (a client holds a whole
// /64 and could rotate through it). Forwarding headers are not trusted:
// a client could choose them to dodge the limit.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if a = a.Unmap(); a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader implements http.ResponseWriter.
func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
