package console

import (
	"context"
	"errors"
	"fmt"

	"github.com/killswitch-dev/killswitch/store"
)

// errScope refuses a change that reaches outside the caller's scope.
var errScope = errors.New("outside your scope")

// principalInScope checks that the caller may act on the principal as a
// whole: its kind at every provider of its live sessions and every store
// of its credentials.
func (c *Console) principalInScope(ctx context.Context, who Caller,
	pid string) error {
	p, err := c.st.GetPrincipal(ctx, pid)
	if err != nil {
		return err
	}
	if !who.InScope(string(p.Kind), "") {
		return fmt.Errorf("%w: principal %s is a %s", errScope, pid, p.Kind)
	}
	ses, err := c.st.ListSessions(ctx, store.SessionFilter{PrincipalID: pid,
		Status: store.StatusActive})
	if err != nil {
		return err
	}
	creds, err := c.st.ListCredentials(ctx, store.CredentialFilter{PrincipalID: pid})
	if err != nil {
		return err
	}
	places := make([]string, 0, len(ses)+len(creds))
	for _, s := range ses {
		places = append(places, s.Provider)
	}
	for _, cr := range creds {
		places = append(places, cr.Store)
	}
	for _, pl := range places {
		if !who.InScope(string(p.Kind), pl) {
			return fmt.Errorf("%w: principal %s (%s) has sessions or "+
				"credentials at %s", errScope, pid, p.Kind, pl)
		}
	}
	return nil
}

// credentialInScope checks the caller may act on a credential.
func (c *Console) credentialInScope(ctx context.Context, who Caller,
	id string) error {
	cr, err := c.st.GetCredential(ctx, id)
	if err != nil {
		return err
	}
	p, err := c.st.GetPrincipal(ctx, cr.PrincipalID)
	if err != nil {
		return err
	}
	if !who.InScope(string(p.Kind), cr.Store) {
		return fmt.Errorf("%w: credential %s is of a %s at %s", errScope,
			id, p.Kind, cr.Store)
	}
	return nil
}

// sessionInScope checks the caller may act on a session.
func (c *Console) sessionInScope(ctx context.Context, who Caller,
	id string) error {
	s, err := c.st.GetSession(ctx, id)
	if err != nil {
		return err
	}
	p, err := c.st.GetPrincipal(ctx, s.PrincipalID)
	if err != nil {
		return err
	}
	if !who.InScope(string(p.Kind), s.Provider) {
		return fmt.Errorf("%w: session %s is of a %s at %s", errScope, id,
			p.Kind, s.Provider)
	}
	return nil
}

// targetInScope checks the caller may act on a lock's or an action's
// target; devices and origins, which reach anyone, need an unscoped
// caller.
func (c *Console) targetInScope(ctx context.Context, who Caller, typ,
	id string) error {
	switch typ {
	case "principal":
		return c.principalInScope(ctx, who, id)
	case "credential":
		return c.credentialInScope(ctx, who, id)
	case "session":
		return c.sessionInScope(ctx, who, id)
	}
	if who.Scoped() {
		return fmt.Errorf("%w: a %s target reaches every principal; only "+
			"an unscoped caller may act on one", errScope, typ)
	}
	return nil
}
