package api

import (
	"context"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// roleRank orders the roles of people and tools that read and act:
// each includes the ones before it. Ingest is not among them.
var roleRank = map[Role]int{Viewer: 1, Responder: 2, PolicyAdmin: 3,
	Admin: 4}

// The roles, by their spec names (the enum constants are prefixed).
const (
	Viewer      = RoleViewer
	Responder   = RoleResponder
	PolicyAdmin = RolePolicyAdmin
	Admin       = RoleAdmin
	// Ingest may post alerts and nothing else: a SIEM's token. Admin
	// may post them too; no other role may, and ingest includes none.
	Ingest = RoleIngest
)

// Includes reports whether r grants everything other grants.
func (r Role) Includes(other Role) bool {
	if other == Ingest {
		return r == Ingest || r == Admin
	}
	have, ok := roleRank[r]
	return ok && have >= roleRank[other] && roleRank[other] > 0
}

// Caller is who a request comes from: the API token it presented.
type Caller struct {
	TokenID string
	Name    string
	Role    Role
	Scopes  store.TokenScopes
	// ExpiresAt is when the token expires; zero for never.
	ExpiresAt time.Time
	// secretHash finds the token again, for Authenticator.Recheck; it is
	// what the store keeps, never the secret.
	secretHash string
}

// Can reports whether the caller's role includes role.
func (c Caller) Can(role Role) bool {
	return c.Role.Includes(role)
}

// InScope reports whether the caller's scopes reach a principal of that
// kind and a session or credential of that provider. An empty kind or
// provider is not checked, so InScope(kind, "") asks about a principal
// alone.
func (c Caller) InScope(kind store.PrincipalKind, provider string) bool {
	k, p := c.Scopes.PrincipalKinds, c.Scopes.Providers
	if kind != "" && len(k) > 0 && !slices.Contains(k, kind) {
		return false
	}
	return provider == "" || len(p) == 0 || slices.Contains(p, provider)
}

// Actor names the caller in audit entries: "token:<name>" with the
// token's id, never its secret.
func (c Caller) Actor() string {
	return "token:" + c.Name + "(" + c.TokenID + ")"
}

// callerKey is the context key of the Caller.
type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the Caller the authentication middleware put in
// ctx; ok is false outside an authenticated request.
func CallerFrom(ctx context.Context) (c Caller, ok bool) {
	c, ok = ctx.Value(callerKey{}).(Caller)
	return c, ok
}
