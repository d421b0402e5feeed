package propagation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/killswitch-dev/killswitch/store"
)

// subject is an RFC 9493 subject identifier, or an SSF complex subject.
type subject map[string]any

// principal is how SETs name a principal: the subject they carry, and
// every subject a receiver may know it by (each of its email addresses,
// its killswitch id), as canonical JSON: removing any of them from a
// stream removes the principal.
type principal struct {
	subject subject
	names   [][]byte
}

// principalOf names a principal to receivers: by its email address when
// the registry knows one (what most receivers key accounts on), else by
// its killswitch id as an opaque identifier.
func principalOf(ctx context.Context, inv store.Inventory,
	principalID string) (principal, error) {
	aliases, err := inv.ListAliases(ctx, principalID)
	if err != nil {
		return principal{}, fmt.Errorf("aliases of %s: %w", principalID, err)
	}
	opaque := subject{"format": "opaque", "id": principalID}
	p := principal{names: [][]byte{canonicalOf(opaque)}}
	for _, a := range aliases {
		if a.Type != "email" || a.CredentialID != "" {
			continue
		}
		s := subject{"format": "email", "email": a.Value}
		if p.subject == nil {
			p.subject = s
		}
		p.names = append(p.names, canonicalOf(s))
	}
	if p.subject == nil {
		p.subject = opaque
	}
	return p, nil
}

// sessionSubject is the complex subject of one session of a user: the
// session by the id its provider gave it, which is what an enforcement
// point sees, or by killswitch's id when there is none.
func sessionSubject(user subject, sessionID, externalID string) subject {
	id := externalID
	if id == "" {
		id = sessionID
	}
	return subject{"format": "complex", "user": user,
		"session": subject{"format": "opaque", "id": id}}
}

// canonical is a subject as JSON with sorted keys and an email address
// in lower case (mail systems treat addresses without case), to compare
// subjects.
func canonical(raw []byte) []byte {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	if m, ok := v.(map[string]any); ok && m["format"] == "email" {
		if e, ok := m["email"].(string); ok {
			m["email"] = strings.ToLower(e)
		}
	}
	b, _ := json.Marshal(v)
	return b
}

// canonicalOf is canonical of a subject built here.
func canonicalOf(s any) []byte {
	b, _ := json.Marshal(s)
	return canonical(b)
}

// excluded reports whether a removed subject of the stream matches s,
// one of its members (the user of a session, say), or another name of
// the principal it is about.
func excluded(st store.Stream, s subject, p principal) bool {
	if len(st.Excluded) == 0 {
		return false
	}
	names := append([][]byte{canonicalOf(s)}, p.names...)
	if s["format"] == "complex" {
		for k, v := range s {
			if k != "format" {
				names = append(names, canonicalOf(v))
			}
		}
	}
	for _, x := range st.Excluded {
		x = canonical(x)
		for _, n := range names {
			if bytes.Equal(x, n) {
				return true
			}
		}
	}
	return false
}

// validSubject checks that raw is an object with a format, as RFC 9493
// requires of every subject identifier.
func validSubject(raw json.RawMessage) error {
	var s struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("subject: not a JSON object")
	}
	if s.Format == "" {
		return fmt.Errorf("subject: format: required")
	}
	return nil
}
