// Package respond carries out a responder's writes from the API:
// terminating sessions, placing and lifting locks, deciding about held
// actions. Each goes through the engine's own path (the outbox and the
// connectors for a termination, exactly as for an alert), is audited with
// the caller as the actor, and is refused when the caller's scope does
// not cover what it would touch.
//
// The HTTP layer (package api) authenticates the caller, checks its role
// and maps the errors here to problem documents: ErrForbidden to 403,
// *ConfirmError to 409, engine.ErrBadRequest to 400, store.ErrNotFound
// to 404, store.ErrNotAwaiting to 409.
package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
)

// Scope says what a caller may act on.
type Scope interface {
	// AllowsKind reports whether the caller may act on principals of
	// kind k; "" stands for every kind (a lock on a device or an
	// origin, which holds whoever uses it).
	AllowsKind(k store.PrincipalKind) bool
	// AllowsProvider reports whether the caller may act on sessions and
	// credentials of provider p; "" stands for every provider.
	AllowsProvider(p string) bool
}

// Everything is the scope of a caller with no restriction.
var Everything Scope = everything{}

type everything struct{}

func (everything) AllowsKind(store.PrincipalKind) bool { return true }
func (everything) AllowsProvider(string) bool          { return true }

// Caller is who asks, as the API authenticated it.
type Caller struct {
	// Name becomes the operator of the engine's requests and the audit
	// actor "operator:<Name>".
	Name  string
	Scope Scope
}

func (c Caller) scope() Scope {
	if c.Scope == nil {
		return Everything
	}
	return c.Scope
}

// ErrForbidden: the caller's scope does not cover the target.
var ErrForbidden = errors.New("outside the caller's scope")

// ErrOutOfScope: the target is a record the caller's scope does not
// reach, or, for a scoped caller, one the registry does not hold. It is
// an ErrForbidden; the API answers it as it answers a record that does
// not exist, so that a scoped caller learns nothing of what is outside
// its scope (not even that it exists, nor its kind or provider).
var ErrOutOfScope = fmt.Errorf("%w: not a record it reaches", ErrForbidden)

// Config tunes a Responder. The zero value is usable.
type Config struct {
	// ConfirmOver is how many sessions a filter may match before a
	// termination needs Confirm equal to the number matched. Default
	// 100.
	ConfirmOver int
	// Timeout bounds a termination's work at the connectors once it is
	// recorded; the client leaving does not cut it short. Whatever is
	// not done by then stays in the outbox for the engine. Default 60s.
	Timeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.ConfirmOver <= 0 {
		c.ConfirmOver = 100
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Minute
	}
	return c
}

// Executor is the engine's executor; *engine.Executor is one.
type Executor interface {
	Revoke(ctx context.Context, st store.Store, req engine.ManualRequest) ([]store.Action, error)
	Wake()
}

// Responder carries out responders' writes on one registry.
type Responder struct {
	st    store.Store
	x     Executor
	cfg   Config
	clock engine.Clock
}

// New builds a Responder. x should be the running engine's executor, so
// that its sinks (Kafka, Shared Signals, the introspection index, the
// revocation stream) hear of every revocation.
func New(st store.Store, x Executor, cfg Config, clock engine.Clock) *Responder {
	return &Responder{st: st, x: x, cfg: cfg.withDefaults(), clock: clock}
}

// principalKind reads the kind of principal id.
func (r *Responder) principalKind(ctx context.Context,
	id string) (store.PrincipalKind, error) {
	p, err := r.st.GetPrincipal(ctx, id)
	if err != nil {
		return "", fmt.Errorf("principal %q: %w", id, err)
	}
	return p.Kind, nil
}

// checkKind refuses a principal kind outside the scope.
func checkKind(s Scope, what string, k store.PrincipalKind) error {
	if s.AllowsKind(k) {
		return nil
	}
	if k == "" {
		return fmt.Errorf("%w: %s holds principals of every kind; the "+
			"caller may act on some kinds only", ErrForbidden, what)
	}
	return fmt.Errorf("%w: %s belongs to a principal of kind %s", ErrOutOfScope,
		what, k)
}

// checkProviders refuses sessions at providers outside the scope.
func checkProviders(s Scope, what string, sessions []store.Session) error {
	var out []string
	for _, ses := range sessions {
		if !s.AllowsProvider(ses.Provider) && !slices.Contains(out, ses.Provider) {
			out = append(out, ses.Provider)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s has live sessions at %s, which the caller "+
		"may not act on", ErrOutOfScope, what, strings.Join(out, ", "))
}
