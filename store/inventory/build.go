package inventory

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// The values the file's enumerated fields take.
var (
	principalKinds = []string{"human", "service_account", "api_client",
		"agent", "workload"}
	principalStatuses = []string{store.StatusActive, "disabled"}
	credentialKinds   = []string{"password", "api_key", "access_key",
		"oauth_client_secret", "token", "ssh_key", "certificate"}
	sessionKinds   = []string{"browser", "token", "api", "agent", "ssh"}
	recordStatuses = []string{store.StatusActive, store.StatusRevoked,
		store.StatusExpired}
	lockTargets = []string{"principal", "credential", "device", "origin"}
)

// maxErrors is how many problems one error reports.
const maxErrors = 20

// batch is a file turned into registry records, in the order they are
// written.
type batch struct {
	principals  []store.Principal
	credentials []store.Credential
	aliases     []store.Alias
	sessions    []store.Session
	locks       []store.Lock
	// now is the import time: the creation time of a new record the file
	// gives none.
	now time.Time
}

// checker turns a file into a batch and collects its problems.
type checker struct {
	name string
	now  time.Time
	errs []error
	// seen maps each id (and alias) to where the file first gives it.
	seen map[string]string
	// creds holds the file's credential ids.
	creds map[string]bool
	b     batch
}

// build checks f and turns it into the records to write, resolving
// offsets from now. Every problem is reported, up to maxErrors.
func (f *File) build(now time.Time) (*batch, error) {
	c := &checker{name: cmp.Or(f.name, "inventory"), now: now,
		seen: map[string]string{}, creds: map[string]bool{},
		b: batch{now: now}}
	for _, p := range f.Principals {
		for _, cr := range p.Credentials {
			c.creds[cr.ID] = true
		}
	}
	for i, p := range f.Principals {
		c.principal(fmt.Sprintf("principals[%d]", i), p)
	}
	for i, l := range f.Locks {
		c.lock(fmt.Sprintf("locks[%d]", i), l)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return &c.b, nil
}

// err joins the problems found, or is nil.
func (c *checker) err() error {
	errs := c.errs
	if len(errs) > maxErrors {
		errs = append(errs[:maxErrors:maxErrors], fmt.Errorf(
			"%s: and %d more problems", c.name, len(c.errs)-maxErrors))
	}
	return errors.Join(errs...)
}

// fail records a problem at a place in the file.
func (c *checker) fail(at, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s: %s", c.name, at,
		fmt.Sprintf(format, args...)))
}

// required fails when v is empty.
func (c *checker) required(at, v string) {
	if v == "" {
		c.fail(at, "required")
	}
}

// oneOf fails unless v is one of allowed.
func (c *checker) oneOf(at, what, v string, allowed []string) {
	switch {
	case v == "":
		c.fail(at, "required")
	case !slices.Contains(allowed, v):
		c.fail(at, "unknown %s %q (want one of %s)", what, v,
			strings.Join(allowed, ", "))
	}
}

// unique fails when the id of that kind was given before; "" is left to
// required.
func (c *checker) unique(at, kind, id string) {
	if id == "" {
		return
	}
	key := kind + "\x00" + id
	if first, ok := c.seen[key]; ok {
		c.fail(at, "duplicate %s id %q (first at %s)", kind, id, first)
		return
	}
	c.seen[key] = at
}

// time parses a time field; empty is def.
func (c *checker) time(at, s string, def time.Time) time.Time {
	if s == "" {
		return def
	}
	t, err := parseTime(s, c.now)
	if err != nil {
		c.fail(at, "%v", err)
	}
	return t
}

// principal checks p and adds it with everything it owns. A status or
// creation time the file leaves out stays empty, for the import to take
// from the registry (see merger).
func (c *checker) principal(at string, p Principal) {
	c.required(at+".id", p.ID)
	c.unique(at+".id", "principal", p.ID)
	c.oneOf(at+".kind", "kind", p.Kind, principalKinds)
	c.oneOf(at+".status", "status", cmp.Or(p.Status, store.StatusActive),
		principalStatuses)
	c.b.principals = append(c.b.principals, store.Principal{ID: p.ID,
		Kind: store.PrincipalKind(p.Kind), DisplayName: p.DisplayName,
		Owner: p.Owner, Status: p.Status, Labels: p.Labels,
		BreakGlass: p.BreakGlass,
		CreatedAt:  c.time(at+".created_at", p.CreatedAt, zero)})
	for i, a := range p.Aliases {
		c.alias(fmt.Sprintf("%s.aliases[%d]", at, i), p.ID, "", a)
	}
	for i, cr := range p.Credentials {
		c.credential(fmt.Sprintf("%s.credentials[%d]", at, i), p.ID, cr)
	}
	for i, s := range p.Sessions {
		c.session(fmt.Sprintf("%s.sessions[%d]", at, i), p.ID, s)
	}
}

// alias checks a and adds it. The same alias given twice for the same
// principal and credential is added once; for another credential of the
// principal it is a problem.
func (c *checker) alias(at, principalID, credentialID string, a Alias) {
	c.required(at+".type", a.Type)
	c.required(at+".value", a.Value)
	key := "alias\x00" + principalID + "\x00" + a.Type + "\x00" + a.Value
	if first, ok := c.seen[key]; ok {
		if first != credentialID {
			c.fail(at, "alias %s %q names another credential of %q",
				a.Type, a.Value, principalID)
		}
		return
	}
	c.seen[key] = credentialID
	c.b.aliases = append(c.b.aliases, store.Alias{Type: a.Type,
		Value: a.Value, PrincipalID: principalID,
		CredentialID: credentialID})
}
