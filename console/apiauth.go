package console

import (
	"context"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// APIAuth signs in with the HTTP API's tokens: the same secrets, roles
// and scopes as /v1.
func APIAuth(a *api.Authenticator) Authenticator {
	return AuthFunc(func(ctx context.Context, token string) (Caller, error) {
		c, err := a.Authenticate(ctx, token)
		if err != nil {
			return nil, err
		}
		return apiCaller{c: c, a: a}, nil
	})
}

// apiCaller is an API token's caller as the console sees it, with the
// authenticator that rechecks its token.
type apiCaller struct {
	c api.Caller
	a *api.Authenticator
}

// Name is the token's name and id: the operator in the audit trail.
func (x apiCaller) Name() string { return x.c.Name + "(" + x.c.TokenID + ")" }

func (x apiCaller) Can(role string) bool { return x.c.Can(api.Role(role)) }

func (x apiCaller) InScope(kind, provider string) bool {
	return x.c.InScope(store.PrincipalKind(kind), provider)
}

func (x apiCaller) Scope(st store.Store) *api.Scope { return api.NewScope(st, x.c) }

// Recheck is the caller as its token stands now: an error once the token
// was revoked or expired.
func (x apiCaller) Recheck(ctx context.Context) (Caller, error) {
	c, err := x.a.Recheck(ctx, x.c)
	if err != nil {
		return nil, err
	}
	return apiCaller{c: c, a: x.a}, nil
}
