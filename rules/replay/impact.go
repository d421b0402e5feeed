package replay

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// Impact is what actions would cut: ids, sorted, without duplicates.
type Impact struct {
	// Principals are those whose sessions or credentials are cut, or
	// that are disabled.
	Principals []string `json:"principals,omitempty"`
	Sessions   []string `json:"sessions,omitempty"`
	// Credentials are revoked.
	Credentials []string `json:"credentials,omitempty"`
	// Disabled are principals disabled.
	Disabled []string `json:"disabled,omitempty"`
	// Locks are "<type>:<id>" targets locked.
	Locks []string `json:"locks,omitempty"`
	// Notified are principals told.
	Notified []string `json:"notified,omitempty"`
}

// Empty reports whether nothing is cut, locked or notified.
func (i Impact) Empty() bool {
	return len(i.Sessions)+len(i.Credentials)+len(i.Disabled)+
		len(i.Locks)+len(i.Notified) == 0
}

func (i Impact) union(o Impact) Impact {
	return Impact{
		Principals:  merge(i.Principals, o.Principals),
		Sessions:    merge(i.Sessions, o.Sessions),
		Credentials: merge(i.Credentials, o.Credentials),
		Disabled:    merge(i.Disabled, o.Disabled),
		Locks:       merge(i.Locks, o.Locks),
		Notified:    merge(i.Notified, o.Notified),
	}
}

// Minus is what i cuts that o does not.
func (i Impact) Minus(o Impact) Impact {
	return Impact{
		Principals:  minus(i.Principals, o.Principals),
		Sessions:    minus(i.Sessions, o.Sessions),
		Credentials: minus(i.Credentials, o.Credentials),
		Disabled:    minus(i.Disabled, o.Disabled),
		Locks:       minus(i.Locks, o.Locks),
		Notified:    minus(i.Notified, o.Notified),
	}
}

// String reads like "sessions s-1, s-2; credentials c-1", or "nothing".
func (i Impact) String() string {
	var parts []string
	add := func(name string, ids []string) {
		if len(ids) > 0 {
			parts = append(parts, name+" "+strings.Join(ids, ", "))
		}
	}
	add("sessions", i.Sessions)
	add("credentials", i.Credentials)
	add("disabled", i.Disabled)
	add("locks", i.Locks)
	add("notified", i.Notified)
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}

func merge(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// touches resolves an action's target against the registry as the
// executor does: the live sessions a revoke_sessions covers (by
// principal, session or credential, narrowed to a provider scope), the
// credential a revoke_credential revokes, and so on.
func (r Replayer) touches(ctx context.Context, a store.Action) (Impact, error) {
	switch a.Kind {
	case rules.RevokeSessions:
		return r.sessionsCut(ctx, a)
	case rules.RevokeCredential:
		return r.credentialCut(ctx, a.TargetID)
	case rules.DisablePrincipal:
		return Impact{Principals: []string{a.TargetID},
			Disabled: []string{a.TargetID}}, nil
	case rules.Lock:
		return Impact{Locks: []string{a.TargetType + ":" + a.TargetID}}, nil
	case rules.Notify:
		return Impact{Notified: []string{a.TargetID}}, nil
	}
	return Impact{}, fmt.Errorf("replay: unknown action kind %q", a.Kind)
}

func (r Replayer) sessionsCut(ctx context.Context, a store.Action) (Impact, error) {
	f := store.SessionFilter{Status: store.StatusActive}
	switch a.TargetType {
	case "principal":
		f.PrincipalID = a.TargetID
	case "session":
		f.IDs = []string{a.TargetID}
	case "credential":
		f.CredentialID = a.TargetID
	}
	if p, ok := strings.CutPrefix(a.Scope, "provider:"); ok {
		f.Provider = p
	}
	ss, err := r.Registry.ListSessions(ctx, f)
	if err != nil {
		return Impact{}, fmt.Errorf("list sessions of %s %s: %w",
			a.TargetType, a.TargetID, err)
	}
	var imp Impact
	for _, s := range ss {
		imp.Sessions = append(imp.Sessions, s.ID)
		imp.Principals = append(imp.Principals, s.PrincipalID)
	}
	return imp.union(Impact{}), nil
}

// credentialCut is the credential when it is still active: revoking a
// revoked one changes nothing.
func (r Replayer) credentialCut(ctx context.Context, id string) (Impact, error) {
	cs, err := r.Registry.ListCredentials(ctx, store.CredentialFilter{})
	if err != nil {
		return Impact{}, fmt.Errorf("list credentials: %w", err)
	}
	for _, c := range cs {
		if c.ID == id && c.Status == store.StatusActive {
			return Impact{Principals: []string{c.PrincipalID},
				Credentials: []string{id}}, nil
		}
	}
	return Impact{}, nil
}
