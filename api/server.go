// Package api is killswitch's HTTP API under /v1: the registry's
// principals, sessions and credentials, and the controls over them,
// behind bearer-token authentication and role-based access control.
//
// openapi.yaml is the contract. openapi.gen.go is generated from it by
// oapi-codegen (go generate ./api/...) and never edited by hand; the
// handlers implement its StrictServerInterface over store.Store. The
// role each route requires is read from the document too, so a route
// and its guard cannot drift apart.
//
// Adding an operation: describe it in openapi.yaml with the role it
// needs as its one bearerAuth scope (a route without one makes New
// fail), run go generate ./api/..., and write its method on *Server.
// Before the method runs, the guard has authenticated the token,
// refused a role too low, and put the Caller in the context
// (CallerFrom); the method checks the caller's scopes on what it reads
// or touches (Caller.InScope, or scope for records it must look up).
// A request that is not GET or HEAD is audited with the caller and the
// status it got; a method audits what it changed itself. Return a
// *Problem, or a store error (ErrNotFound, ErrConflict), and the
// answer is a problem document.
//
// An operation whose body is not one JSON schema (alerts in any format)
// is marked x-raw-body, excluded from the generator in
// oapi-codegen.yaml and served by a plain handler (alerts_routes.go)
// that reads and bounds its body itself; the guard still
// authenticates, checks its role and audits it.
package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/killswitch-dev/killswitch/store"
)

// BasePath is where the API is mounted.
const BasePath = "/v1"

// Config is what the API needs.
type Config struct {
	// Store is the registry the API reads and writes.
	Store store.Store
	// Log receives internal errors (never a secret); required.
	Log *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Policies is the policy set in force, for /v1/policies; nil
	// answers it with not_found.
	Policies Policies
	// Sweeps are the scheduled sweeps, for /v1/sweeps; it lists every
	// shipped sweep, those not here as unscheduled.
	Sweeps []SweepSchedule
	// SweepLeader says whether this instance runs the sweeps it
	// schedules, for /v1/sweeps; nil when it schedules none.
	SweepLeader SweepLeader
	// RequireClientCert refuses every request that did not come over
	// TLS with a client certificate the listener verified (mTLS), before
	// its token is looked at.
	RequireClientCert bool
	// AuthFailures is how fast a client address earns back a failed
	// authentication, and AuthFailureBurst how many it may have in a
	// row before it is refused with 429. Zero values are one per six
	// seconds and 10.
	AuthFailures     rate.Limit
	AuthFailureBurst int
	// Ops are the parts the write, introspection and revocation stream
	// endpoints reach; those not set answer 503.
	Ops Ops
}

// withDefaults fills in the zero values.
func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.AuthFailures == 0 {
		c.AuthFailures = rate.Every(6 * time.Second)
	}
	if c.AuthFailureBurst == 0 {
		c.AuthFailureBurst = 10
	}
	return c
}

// Server serves the API. Its methods other than Handler and
// Authenticator implement StrictServerInterface, one per operation.
type Server struct {
	st       store.Store
	policies Policies
	sweeps   []SweepSchedule
	leader   SweepLeader
	log      *slog.Logger
	now      func() time.Time
	auth     *Authenticator
	handler  http.Handler
	ops      ops
}

// New builds the API from cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Log == nil {
		return nil, fmt.Errorf("api: Store and Log are required")
	}
	cfg = cfg.withDefaults()
	doc, roles, err := loadSpec()
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	log := cfg.Log.With("component", "api")
	s := &Server{st: cfg.Store, policies: cfg.Policies, sweeps: cfg.Sweeps,
		leader: cfg.SweepLeader, log: log, now: cfg.Now,
		auth: NewAuthenticator(cfg.Store, cfg.Now, log),
		ops:  newOps(cfg.Store, cfg.Ops, cfg.Now)}
	router := http.NewServeMux()
	s.mountOps(router)
	router.HandleFunc("GET "+BasePath+"/openapi.json", serveSpec(doc))
	roles["GET "+BasePath+"/openapi.json"] = Viewer
	strict := NewStrictHandlerWithOptions(s, nil, StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  s.bodyError,
		ResponseErrorHandlerFunc: s.handlerError,
	})
	HandlerWithOptions(strict, StdHTTPServerOptions{BaseURL: BasePath,
		BaseRouter: router, ErrorHandlerFunc: func(w http.ResponseWriter,
			r *http.Request, err error) {
			writeProblem(w, r, paramProblem(r, err))
		}})
	bodies, err := bodySchemas(doc)
	if err != nil {
		return nil, fmt.Errorf("api: openapi.yaml: %w", err)
	}
	params, err := queryParams(doc)
	if err != nil {
		return nil, fmt.Errorf("api: openapi.yaml: %w", err)
	}
	s.handler = &guard{auth: s.auth, audit: cfg.Store, router: router,
		bodies: bodies, params: params,
		roles: roles, queries: queryRoutes(doc), now: cfg.Now, log: log,
		requireCert: cfg.RequireClientCert,
		fails:       newKeyLimiter(cfg.AuthFailures, cfg.AuthFailureBurst)}
	return s, nil
}

// Handler serves every path under BasePath; mount it at BasePath+"/".
func (s *Server) Handler() http.Handler { return s.handler }

// Authenticator checks API tokens, for other surfaces (the console) that
// accept them.
func (s *Server) Authenticator() *Authenticator { return s.auth }

// bodyError answers a request body the generated code could not decode.
func (s *Server) bodyError(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, r, problem(ProblemCodeInvalidBody,
		"the body is not valid JSON of the operation's schema: "+err.Error()))
}

// handlerError answers an error a handler returned.
func (s *Server) handlerError(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, r, asProblem(err, s.log, r))
}
