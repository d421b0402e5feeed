package introspect

import (
	"encoding/hex"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// principal is what an answer needs of a principal.
type principal struct {
	kind     store.PrincipalKind
	disabled bool
}

// session is what an answer needs of a session.
type session struct {
	id          string
	principalID string
	provider    string
	credential  string
	device      string
	ip          netip.Addr
	ext         external
	status      string
	expires     time.Time
	revocation  *store.Revocation
}

// external is a session's id at its provider.
type external struct{ provider, id string }

func newSession(s store.Session) *session {
	e := &session{id: s.ID, principalID: s.PrincipalID, provider: s.Provider,
		credential: s.CredentialID, device: s.Origin.Device,
		status: s.Status, expires: s.ExpiresAt, revocation: s.Revocation}
	if ip, err := netip.ParseAddr(s.Origin.IP); err == nil {
		e.ip = ip.Unmap()
	}
	if s.Provider != "" && s.ExternalID != "" {
		e.ext = external{s.Provider, s.ExternalID}
	}
	return e
}

// credential is what an answer needs of a credential.
type credential struct {
	id          string
	principalID string
	store       string
	print       string // lowercase SHA-256 hex, or empty
	status      string
	expires     time.Time
	revocation  *store.Revocation
}

func newCredential(c store.Credential) *credential {
	return &credential{id: c.ID, principalID: c.PrincipalID, store: c.Store,
		print: storedPrint(c.Fingerprint), status: c.Status,
		expires: c.ExpiresAt, revocation: c.Revocation}
}

// storedPrint is the SHA-256 hex of a stored "sha256:<hex>" fingerprint,
// lowercased, or "" when it is something else (an issuer's key id).
func storedPrint(fp string) string {
	hexPart, ok := strings.CutPrefix(fp, "sha256:")
	if !ok {
		return ""
	}
	return normalPrint(hexPart)
}

// normalPrint is s as a lowercase SHA-256 hex digest, with or without a
// "sha256:" prefix, or "" when it is not one.
func normalPrint(s string) string {
	s = strings.TrimPrefix(strings.ToLower(s), "sha256:")
	if len(s) != 64 {
		return ""
	}
	if _, err := hex.DecodeString(s); err != nil {
		return ""
	}
	return s
}

// lockIndex holds the locks that are or may yet be in force, by what
// they hold, so that a lookup costs a few map reads. It is rebuilt, not
// changed, when a lock changes: locks are few and change rarely.
type lockIndex struct {
	all        map[string]store.Lock
	principal  map[string][]store.Lock
	credential map[string][]store.Lock
	device     map[string][]store.Lock
	ip         map[netip.Addr][]store.Lock
	// prefix holds origin locks on CIDR prefixes, masked; bits lists
	// their distinct lengths, so that a lookup costs one map read per
	// length rather than one test per lock.
	prefix map[netip.Prefix][]store.Lock
	bits   []int
}

func newLockIndex(all map[string]store.Lock) lockIndex {
	li := lockIndex{all: all, principal: map[string][]store.Lock{},
		credential: map[string][]store.Lock{},
		device:     map[string][]store.Lock{}, ip: map[netip.Addr][]store.Lock{},
		prefix: map[netip.Prefix][]store.Lock{}}
	for _, l := range all {
		li.add(l)
	}
	return li
}

func (li *lockIndex) add(l store.Lock) {
	switch l.TargetType {
	case "principal":
		li.principal[l.Target] = append(li.principal[l.Target], l)
	case "credential":
		li.credential[l.Target] = append(li.credential[l.Target], l)
	case "device":
		li.device[l.Target] = append(li.device[l.Target], l)
	case "origin":
		if a, err := netip.ParseAddr(l.Target); err == nil {
			li.ip[a.Unmap()] = append(li.ip[a.Unmap()], l)
		} else if p, err := netip.ParsePrefix(l.Target); err == nil {
			li.addPrefix(p, l)
		}
	}
}

func (li *lockIndex) addPrefix(p netip.Prefix, l store.Lock) {
	if a := p.Addr(); a.Is4In6() {
		p = netip.PrefixFrom(a.Unmap(), max(p.Bits()-96, 0))
	}
	p = p.Masked()
	li.prefix[p] = append(li.prefix[p], l)
	if !slices.Contains(li.bits, p.Bits()) {
		li.bits = append(li.bits, p.Bits())
	}
}

// with is the index with changed locks written over, leaving out those
// that ended before now: they can never be in force again.
func (li lockIndex) with(changed []store.Lock, now time.Time) lockIndex {
	all := make(map[string]store.Lock, len(li.all)+len(changed))
	for id, l := range li.all {
		all[id] = l
	}
	for _, l := range changed {
		all[l.ID] = l
	}
	for id, l := range all {
		if ended(l, now) {
			delete(all, id)
		}
	}
	return newLockIndex(all)
}

// ended reports whether l was lifted or expired by now.
func ended(l store.Lock, now time.Time) bool {
	return (!l.LiftedAt.IsZero() && !l.LiftedAt.After(now)) ||
		(!l.ExpiresAt.IsZero() && !l.ExpiresAt.After(now))
}

// covering returns the first lock in force at now that holds one of
// principal, credential, device or ip, in that order.
func (li *lockIndex) covering(principal, credential, device string,
	ip netip.Addr, now time.Time) (store.Lock, bool) {
	for _, ls := range [][]store.Lock{li.principal[principal],
		li.credential[credential], li.device[device]} {
		if l, ok := inForce(ls, now); ok {
			return l, true
		}
	}
	if !ip.IsValid() {
		return store.Lock{}, false
	}
	if l, ok := inForce(li.ip[ip], now); ok {
		return l, true
	}
	for _, bits := range li.bits {
		p, err := ip.Prefix(bits)
		if err != nil {
			continue // a length of the other address family
		}
		if l, ok := inForce(li.prefix[p], now); ok {
			return l, true
		}
	}
	return store.Lock{}, false
}

func inForce(ls []store.Lock, now time.Time) (store.Lock, bool) {
	for _, l := range ls {
		if l.InForce(now) {
			return l, true
		}
	}
	return store.Lock{}, false
}

// noIP is the zero address: a credential has no origin.
var noIP netip.Addr
