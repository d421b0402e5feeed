package api

import (
	"context"

	"github.com/killswitch-dev/killswitch/store"
)

// Scope answers, for one caller, whether records are within its scopes,
// by the same rules as the API's handlers, so that the web console shows
// and does exactly what the caller's token may through /v1. It looks up
// what a record belongs to once; use one per request, from one
// goroutine.
type Scope struct{ sc *scope }

// NewScope is the scope of c over the registry st.
func NewScope(st store.Store, c Caller) *Scope {
	return &Scope{sc: newScope(st, c)}
}

// Open reports whether the caller has no scopes and so sees everything.
func (s *Scope) Open() bool { return s.sc.open() }

// Principal reports whether the principal as a whole is in scope: its
// kind is, and the caller is not scoped to providers.
func (s *Scope) Principal(ctx context.Context, id string) (bool, error) {
	return s.sc.principal(ctx, id)
}

// ProviderScoped reports whether the caller is scoped to some providers,
// and so may act on no principal as a whole.
func (s *Scope) ProviderScoped() bool { return len(s.sc.c.Scopes.Providers) > 0 }

// Visible reports whether the principal is shown to the caller: its
// kind is in scope and, for a caller scoped to providers, it has a
// session or credential at one of them (GET /v1/principals/{id}).
func (s *Scope) Visible(ctx context.Context, p store.Principal) (bool, error) {
	return s.sc.visible(ctx, p)
}

// Alias reports whether an alias is in scope: not when it names a
// credential outside it.
func (s *Scope) Alias(ctx context.Context, a store.Alias) (bool, error) {
	return s.sc.alias(ctx, a)
}

// Owned reports whether a session or credential of the principal at
// provider (a credential's store) is in scope.
func (s *Scope) Owned(ctx context.Context, principalID, provider string) (bool, error) {
	return s.sc.owned(ctx, principalID, provider)
}

// Target reports whether what a lock or an action is about is in scope;
// a device or an origin is only for a caller without scopes, and a
// target the registry does not hold is out of scope.
func (s *Scope) Target(ctx context.Context, typ, id string) (bool, error) {
	return s.sc.target(ctx, typ, id)
}

// Signal reports whether a processed signal is in scope: it asked for
// actions and all of them are.
func (s *Scope) Signal(ctx context.Context, id string) (bool, error) {
	return s.sc.signal(ctx, id)
}

// Subject reports whether an audit entry's subject is in scope.
func (s *Scope) Subject(ctx context.Context, subject string) (bool, error) {
	return s.sc.subject(ctx, subject)
}
