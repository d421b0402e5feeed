package api

import (
	"context"
	"errors"
	"strings"

	"github.com/killswitch-dev/killswitch/store"
)

// scope answers whether records are within a caller's scopes, looking up
// what a record belongs to once per request. A caller without scopes
// sees everything and costs no lookups.
type scope struct {
	st    store.Store
	c     Caller
	kinds map[string]store.PrincipalKind
}

func newScope(st store.Store, c Caller) *scope {
	return &scope{st: st, c: c, kinds: map[string]store.PrincipalKind{}}
}

// open reports whether the caller has no scopes.
func (sc *scope) open() bool {
	return len(sc.c.Scopes.PrincipalKinds) == 0 &&
		len(sc.c.Scopes.Providers) == 0
}

// kindOf is the kind of a principal, "" when there is none.
func (sc *scope) kindOf(ctx context.Context, id string) (store.PrincipalKind, error) {
	if k, ok := sc.kinds[id]; ok {
		return k, nil
	}
	p, err := sc.st.GetPrincipal(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	sc.kinds[id] = p.Kind
	return p.Kind, nil
}

// principal: a principal is in scope when its kind is and the caller
// is not scoped to providers (what is done to a principal reaches all of
// them).
func (sc *scope) principal(ctx context.Context, id string) (bool, error) {
	if sc.open() {
		return true, nil
	}
	if len(sc.c.Scopes.Providers) > 0 {
		return false, nil
	}
	k, err := sc.kindOf(ctx, id)
	return k != "" && sc.c.InScope(k, ""), err
}

// visible: a principal is shown to the caller when its kind is in scope
// and, for a caller scoped to providers, it has a session or credential
// at one of them.
func (sc *scope) visible(ctx context.Context, p store.Principal) (bool, error) {
	if sc.open() {
		return true, nil
	}
	if !sc.c.InScope(p.Kind, "") {
		return false, nil
	}
	providers := sc.c.Scopes.Providers
	if len(providers) == 0 {
		return true, nil
	}
	ses, err := sc.st.ListSessions(ctx, store.SessionFilter{
		PrincipalID: p.ID, Providers: providers, Limit: 1})
	if err != nil || len(ses) > 0 {
		return len(ses) > 0, err
	}
	cs, err := sc.st.ListCredentials(ctx, store.CredentialFilter{
		PrincipalID: p.ID, Stores: providers, Limit: 1})
	return len(cs) > 0, err
}

// alias: an alias is in scope unless it names a credential that is not
// (an AWS access key id is its key's).
func (sc *scope) alias(ctx context.Context, a store.Alias) (bool, error) {
	if sc.open() || a.CredentialID == "" {
		return true, nil
	}
	return sc.target(ctx, "credential", a.CredentialID)
}

// owned: a session or credential is in scope when its principal's kind
// and its provider are.
func (sc *scope) owned(ctx context.Context, principalID, provider string) (bool, error) {
	if sc.open() {
		return true, nil
	}
	k, err := sc.kindOf(ctx, principalID)
	return k != "" && sc.c.InScope(k, provider), err
}

// target: what a lock or an action is about. Devices and origins belong
// to no principal: only a caller without scopes sees them.
func (sc *scope) target(ctx context.Context, typ, id string) (bool, error) {
	if sc.open() {
		return true, nil
	}
	switch typ {
	case "principal":
		return sc.principal(ctx, id)
	case "session":
		s, err := sc.st.GetSession(ctx, id)
		if err != nil {
			return false, ignoreNotFound(err)
		}
		return sc.owned(ctx, s.PrincipalID, s.Provider)
	case "credential":
		c, err := sc.st.GetCredential(ctx, id)
		if err != nil {
			return false, ignoreNotFound(err)
		}
		return sc.owned(ctx, c.PrincipalID, c.Store)
	}
	return false, nil
}

// signal: a signal is in scope when it asked for actions and all of them
// are.
func (sc *scope) signal(ctx context.Context, id string) (bool, error) {
	if sc.open() {
		return true, nil
	}
	as, err := sc.st.ListActions(ctx, store.ActionFilter{SignalID: id})
	if err != nil || len(as) == 0 {
		return false, err
	}
	for _, a := range as {
		if ok, err := sc.target(ctx, a.TargetType, a.TargetID); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

// subject: an audit entry names its subject as "type:id" (a lock's
// target) or by the bare id of an action, session, credential,
// principal or signal. One that names nothing known is out of scope.
func (sc *scope) subject(ctx context.Context, subject string) (bool, error) {
	if sc.open() {
		return true, nil
	}
	if typ, id, ok := strings.Cut(subject, ":"); ok {
		return sc.target(ctx, typ, id)
	}
	if a, err := sc.st.GetAction(ctx, subject); err == nil {
		return sc.target(ctx, a.TargetType, a.TargetID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	for _, typ := range []string{"session", "credential", "principal"} {
		if ok, err := sc.target(ctx, typ, subject); ok || err != nil {
			return ok, err
		}
	}
	if _, err := sc.st.GetSignal(ctx, subject); err == nil {
		return sc.signal(ctx, subject)
	}
	return false, nil
}

// errOutOfScope: a filter asks only for what the caller's scopes leave
// out; the answer is an empty list.
var errOutOfScope = errors.New("out of the caller's scope")

// ignoreNotFound is nil for store.ErrNotFound.
func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// collect reads a list n items at a time with fetch (after the item it
// is given, from the start for nil) and keeps what keep accepts, until
// it has n or the list ends.
func collect[T any](n int, fetch func(after *T) ([]T, error),
	keep func(T) (bool, error)) ([]T, error) {
	var out []T
	var after *T
	for {
		batch, err := fetch(after)
		if err != nil {
			return nil, err
		}
		for _, x := range batch {
			ok, err := keep(x)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, x)
			}
			if len(out) == n {
				return out, nil
			}
		}
		if len(batch) < n {
			return out, nil
		}
		after = &batch[len(batch)-1]
	}
}
