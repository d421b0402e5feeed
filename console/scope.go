package console

import (
	"context"
	"errors"
	"fmt"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// errScope refuses a change that reaches outside the caller's scope.
var errScope = errors.New("outside your scope")

// errEveryProvider refuses, whatever the target, a change to a
// principal as a whole by a caller scoped to providers: it would reach
// them all.
var errEveryProvider = fmt.Errorf("%w: a principal as a whole has "+
	"sessions at every provider, and you may act on some only", errScope)

// targetInScope checks that the caller may act on a lock's or an
// action's target, by the API's rules: a principal as a whole needs its
// kind in scope and no provider scope; a session or credential its
// principal's kind and its provider; a device or an origin, which reach
// anyone, a caller without scopes. A principal or credential the
// registry does not hold wraps store.ErrNotFound.
func (c *Console) targetInScope(ctx context.Context, sc *api.Scope, typ,
	id string) error {
	if typ == "principal" && sc.ProviderScoped() {
		return errEveryProvider // before the lookup: it tells nothing
	}
	if err := c.exists(ctx, typ, id); err != nil {
		return err
	}
	ok, err := sc.Target(ctx, typ, id)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s %s", errScope, typ, id)
	}
	return nil
}

// exists checks that the registry holds a principal, credential or
// session target; devices and origins are not registry records.
func (c *Console) exists(ctx context.Context, typ, id string) error {
	var err error
	switch typ {
	case "principal":
		_, err = c.st.GetPrincipal(ctx, id)
	case "credential":
		_, err = c.st.GetCredential(ctx, id)
	case "session":
		_, err = c.st.GetSession(ctx, id)
	}
	return err
}

// keepActions keeps the actions whose targets are in scope.
func keepActions(ctx context.Context, sc *api.Scope,
	as []store.Action) ([]store.Action, error) {
	if sc.Open() {
		return as, nil
	}
	out := as[:0:0]
	for _, a := range as {
		ok, err := sc.Target(ctx, a.TargetType, a.TargetID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// withinScope qualifies "not in the registry" for a scoped caller, who
// is answered so for what is outside its scope too.
func withinScope(sc *api.Scope) string {
	if sc.Open() {
		return ""
	}
	return " within your scope"
}
