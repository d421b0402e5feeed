package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// actionKinds is the closed set of action kinds, in the order messages
// list them.
var actionKinds = []string{
	RevokeSessions, RevokeCredential, DisablePrincipal, Lock, Notify,
}

// targetTypes lists the target types each action kind may act on.
var targetTypes = map[string][]string{
	RevokeSessions:   {"principal", "session", "credential"},
	RevokeCredential: {"credential"},
	DisablePrincipal: {"principal"},
	Lock:             {"principal", "credential", "device", "origin"},
	Notify:           {"principal"},
}

// checkDecision checks a decoded decision against the contract: the
// closed set of kinds, the targets each takes, scopes, lock TTLs, and
// that every target is something the input showed the policy.
func checkDecision(d *Decision, in *Input) error {
	if d.Severity != "" && signals.Severity(d.Severity).Rank() < 0 {
		return fmt.Errorf("severity: unknown severity %q "+
			"(want one of info, low, medium, high, critical)", d.Severity)
	}
	for i := range d.Actions {
		if err := checkAction(&d.Actions[i], in); err != nil {
			return fmt.Errorf("actions[%d].%w", i, err)
		}
	}
	return nil
}

// checkAction's errors start with the field they are about.
func checkAction(a *Action, in *Input) error {
	allowed, ok := targetTypes[a.Kind]
	if a.Kind == "" {
		return fmt.Errorf("kind: missing (want one of %s)",
			strings.Join(actionKinds, ", "))
	}
	if !ok {
		return fmt.Errorf("kind: unknown action kind %q (want one of %s)",
			a.Kind, strings.Join(actionKinds, ", "))
	}
	if err := checkTarget(a, allowed); err != nil {
		return err
	}
	if strings.TrimSpace(a.Reason) == "" {
		return errors.New("reason: missing (say why, for the responder)")
	}
	if err := checkScope(a); err != nil {
		return err
	}
	if err := checkTTL(a); err != nil {
		return err
	}
	if a.Mode != "" && a.Mode != ModeEnforce && a.Mode != ModeMonitor {
		return fmt.Errorf("mode: %q is not a mode (want %q or %q)", a.Mode,
			ModeEnforce, ModeMonitor)
	}
	return checkShown(a.Target, in)
}

func checkTarget(a *Action, allowed []string) error {
	switch {
	case a.Target.Type == "":
		return fmt.Errorf("target.type: missing (want %s)",
			strings.Join(allowed, " or "))
	case !slices.Contains(allowed, a.Target.Type):
		return fmt.Errorf("target.type: %s cannot act on a %q (want %s)",
			a.Kind, a.Target.Type, strings.Join(allowed, " or "))
	case a.Target.ID == "":
		return errors.New("target.id: missing")
	}
	return nil
}

// checkScope allows "", "all" and "provider:<name>", on revoke_sessions
// only.
func checkScope(a *Action) error {
	if a.Scope == "" {
		return nil
	}
	if a.Kind != RevokeSessions {
		return fmt.Errorf("scope: %s takes no scope (only %s does)",
			a.Kind, RevokeSessions)
	}
	name, isProvider := strings.CutPrefix(a.Scope, "provider:")
	if a.Scope == "all" || isProvider && name != "" {
		return nil
	}
	return fmt.Errorf(`scope: %q is not a scope (want "all" or `+
		`"provider:<name>")`, a.Scope)
}

// checkTTL allows a positive Go duration on lock, and no TTL elsewhere. A
// lock without a TTL lasts until it is lifted.
func checkTTL(a *Action) error {
	if a.TTL == "" {
		return nil
	}
	if a.Kind != Lock {
		return fmt.Errorf("ttl: %s takes no ttl (only %s does)", a.Kind, Lock)
	}
	d, err := time.ParseDuration(a.TTL)
	if err != nil {
		return fmt.Errorf("ttl: %q is not a Go duration (want e.g. \"24h\")",
			a.TTL)
	}
	if d <= 0 {
		return fmt.Errorf("ttl: %q is not positive", a.TTL)
	}
	return nil
}

// checkShown refuses a target the input did not show the policy: a
// policy may not invent targets.
func checkShown(t Target, in *Input) error {
	if shown(t, in) {
		return nil
	}
	return fmt.Errorf("target.id: %s %q is not in the input "+
		"(a policy may only act on what it was shown)", t.Type, t.ID)
}

// shown reports whether the input holds the target. A device or origin
// is shown by a session's origin (its device, its IP) or by a subject of
// the signal (device_id, ip).
func shown(t Target, in *Input) bool {
	id := t.ID
	switch t.Type {
	case "principal":
		return anyOf(in.Principals, func(p *Principal) bool {
			return p.ID == id
		})
	case "credential":
		return anyOf(in.Credentials, func(c *Credential) bool {
			return c.ID == id
		})
	case "session":
		return anyOf(in.Sessions, func(s *store.Session) bool {
			return s.ID == id
		})
	case "device":
		return named(in.Signal, signals.SubjectDeviceID, id) ||
			anyOf(in.Sessions, func(s *store.Session) bool {
				return s.Origin.Device == id
			})
	case "origin":
		return named(in.Signal, signals.SubjectIP, id) ||
			anyOf(in.Sessions, func(s *store.Session) bool {
				return s.Origin.IP == id
			})
	}
	return false
}

// anyOf reports whether f holds for an element of s, without copying it.
func anyOf[T any](s []T, f func(*T) bool) bool {
	for i := range s {
		if f(&s[i]) {
			return true
		}
	}
	return false
}

func named(sig signals.Signal, typ signals.SubjectType, value string) bool {
	return anyOf(sig.Subjects, func(s *signals.Subject) bool {
		return s.Type == typ && s.Value == value
	})
}
