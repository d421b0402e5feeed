package signals

import (
	"net/mail"
	"net/netip"
	"strings"
)

// subjectList collects a signal's subjects in the order a decoder finds
// them. A value that names the same identifier twice (the same type and
// value) is kept once, with the role it was first given, so decoders add
// the subject the event is about before bystanders.
type subjectList struct {
	items []Subject
	seen  map[Subject]bool // by type and value, without role
}

// add appends a subject unless its value is blank or already listed.
func (l *subjectList) add(t SubjectType, value string, r Role) {
	value = strings.TrimSpace(value)
	key := Subject{Type: t, Value: value}
	if value == "" || l.seen[key] {
		return
	}
	if l.seen == nil {
		l.seen = map[Subject]bool{}
	}
	l.seen[key] = true
	l.items = append(l.items, Subject{Type: t, Value: value, Role: r})
}

// addLogin adds a login name as an email when it is an e-mail address,
// else as a username. Identity providers put either in the same field
// (Okta's alternateId, a RISC account URI).
func (l *subjectList) addLogin(login string, r Role) {
	if isEmail(login) {
		l.add(SubjectEmail, login, r)
		return
	}
	l.add(SubjectUsername, login, r)
}

// addIP adds an IP address; values that are not an address ("AWS
// Internal", a service host name) and the unspecified address
// 0.0.0.0 are skipped, since they name no origin.
func (l *subjectList) addIP(value string, r Role) {
	addr, err := netip.ParseAddr(strings.TrimSpace(value))
	if err != nil || addr.IsUnspecified() {
		return
	}
	l.add(SubjectIP, addr.String(), r)
}

// list returns the subjects, never nil, so that a signal with none
// marshals as [] rather than null.
func (l *subjectList) list() []Subject {
	if l.items == nil {
		return []Subject{}
	}
	return l.items
}

// isEmail reports whether s is a bare e-mail address (no display name).
func isEmail(s string) bool {
	if !strings.Contains(s, "@") || strings.ContainsAny(s, " <>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// emailIn returns the first bare e-mail address among the
// space-separated words of s ("Jane Doe jane@example.com"), or "".
func emailIn(s string) string {
	for _, w := range strings.Fields(s) {
		w = strings.Trim(w, "<>(),;")
		if isEmail(w) {
			return w
		}
	}
	return ""
}
