package api

import (
	"context"
	"errors"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/killswitch-dev/killswitch/api/ingest"
	"github.com/killswitch-dev/killswitch/api/introspect"
	"github.com/killswitch-dev/killswitch/api/respond"
	"github.com/killswitch-dev/killswitch/api/revstream"
	"github.com/killswitch-dev/killswitch/api/setpush"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// Ops are the running parts behind the API's controls. run sets them all;
// a part left nil makes its endpoints answer 503 unavailable.
type Ops struct {
	// Executor is the running engine's executor: terminations go
	// through it, so that its sinks (Kafka, Shared Signals, webhooks,
	// Introspection, Revocations) hear of every revocation, and an
	// approval wakes it. Without it, terminations, locks and verdicts
	// are unavailable.
	Executor respond.Executor
	// ConfirmOver is how many sessions a termination by filter may
	// match without confirming the count; default 100.
	ConfirmOver int
	// Introspection answers POST /v1/introspect.
	Introspection *introspect.Index
	// Revocations serves GET /v1/revocations/stream.
	Revocations *revstream.Stream
	// TokenRecheck is how often an open stream rechecks its token: a
	// stream ends at most this long after its token is revoked or
	// expires. Default 5s.
	TokenRecheck time.Duration
	// Ingest publishes the alerts of POST /v1/alerts and the SETs of
	// POST /v1/ssf/push.
	Ingest *ingest.Ingester
	// SETReceiver verifies the SETs of POST /v1/ssf/push; without it
	// (or Ingest) that route answers 503.
	SETReceiver *setpush.Receiver
	// IngestRate is how many requests a second one token may make to
	// POST /v1/alerts and /v1/ssf/push together, and IngestBurst how many in a row; past them it
	// is answered 429. Zero values are 50 a second and 100.
	IngestRate  rate.Limit
	IngestBurst int
}

// ops is Ops made ready for the handlers.
type ops struct {
	Ops
	respond *respond.Responder
	// ingestLimit counts each token's requests to post alerts.
	ingestLimit *keyLimiter
}

func newOps(st store.Store, o Ops, now func() time.Time) ops {
	out := ops{Ops: o}
	if out.TokenRecheck <= 0 {
		out.TokenRecheck = 5 * time.Second
	}
	if out.IngestRate == 0 {
		out.IngestRate = 50
	}
	if out.IngestBurst <= 0 {
		out.IngestBurst = 100
	}
	out.ingestLimit = newKeyLimiter(out.IngestRate, out.IngestBurst)
	if o.Executor != nil {
		out.respond = respond.New(st, o.Executor,
			respond.Config{ConfirmOver: o.ConfirmOver}, now)
	}
	return out
}

// changed brings the views up to date after a write of this process that
// the engine did not make (a lock placed or lifted), so that the answer
// to the write is already true of introspection and the stream. A view
// that fails to refresh catches up at its next poll.
func (o ops) changed(ctx context.Context) {
	if o.Introspection != nil {
		_ = o.Introspection.Publish(ctx, nil)
	}
	if o.Revocations != nil {
		_ = o.Revocations.Publish(ctx, nil)
	}
}

// unavailable is the problem of a part that is not running here.
func unavailable(what string) *Problem {
	return problem(ProblemCodeUnavailable, what+" is not running in "+
		"this process: run it with 'killswitch run'")
}

// responder returns the Responder and the caller as it acts, or the
// problem of their absence.
func (s *Server) responder(ctx context.Context) (*respond.Responder,
	respond.Caller, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return nil, respond.Caller{}, err
	}
	if s.ops.respond == nil {
		return nil, respond.Caller{}, unavailable("the engine")
	}
	return s.ops.respond, respond.Caller{Name: c.Actor(),
		Scope: callerScope{c}}, nil
}

// callerScope is a Caller's scopes as package respond asks about them:
// an empty kind or provider stands for every one, which only a caller
// without that scope reaches.
type callerScope struct{ c Caller }

// AllowsKind implements respond.Scope.
func (s callerScope) AllowsKind(k store.PrincipalKind) bool {
	if k == "" {
		return len(s.c.Scopes.PrincipalKinds) == 0
	}
	return s.c.InScope(k, "")
}

// AllowsProvider implements respond.Scope.
func (s callerScope) AllowsProvider(p string) bool {
	if p == "" {
		return len(s.c.Scopes.Providers) == 0
	}
	return s.c.InScope("", p)
}

// opsProblem turns an error of package respond or the engine into a
// problem; others go on to asProblem. invalid is the problem code of a
// store.ErrInvalid: the body's fault, or a conflict with the record's
// state.
func opsProblem(err error, invalid ProblemCode, what string) error {
	var ce *respond.ConfirmError
	var fe *engine.FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		p := problem(ProblemCodeConflict, ce.Error())
		p.Parameter, p.Value = "confirm", strconv.Itoa(ce.Confirmed)
		p.Matched = ce.Matched
		return p
	case errors.Is(err, respond.ErrOutOfScope),
		errors.Is(err, store.ErrNotFound):
		// The same answer for both, as the reads give: a scoped caller
		// learns nothing of what is outside its scope.
		return problem(ProblemCodeNotFound, "no "+what+
			" in the registry within the caller's scope")
	case errors.Is(err, respond.ErrForbidden):
		return problem(ProblemCodeForbidden, err.Error())
	case errors.As(err, &fe):
		p := problem(ProblemCodeInvalidBody, fe.Error())
		p.Parameter, p.Value = fe.Field, fe.Value
		return p
	case errors.Is(err, engine.ErrBadRequest):
		return problem(ProblemCodeInvalidBody, err.Error())
	case errors.Is(err, store.ErrNotAwaiting):
		return problem(ProblemCodeConflict, err.Error())
	case errors.Is(err, store.ErrInvalid):
		return problem(invalid, err.Error())
	}
	return err
}
