package propagation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/killswitch-dev/killswitch/store"
)

// subject is an RFC 9493 subject identifier, or an SSF complex subject.
type subject map[string]any

// userSubject names a principal to receivers: by its email address when
// the registry knows one (what most receivers key accounts on), else by
// its killswitch id as an opaque identifier.
func userSubject(ctx context.Context, inv store.Inventory,
	principalID string) (subject, error) {
	aliases, err := inv.ListAliases(ctx, principalID)
	if err != nil {
		return nil, fmt.Errorf("aliases of %s: %w", principalID, err)
	}
	for _, a := range aliases {
		if a.Type == "email" && a.CredentialID == "" {
			return subject{"format": "email", "email": a.Value}, nil
		}
	}
	return subject{"format": "opaque", "id": principalID}, nil
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

// canonical is s as JSON with sorted keys, to compare subjects.
func canonical(raw []byte) []byte {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	b, _ := json.Marshal(v)
	return b
}

// excluded reports whether a removed subject of the stream matches s or
// one of its members (the user of a session, say).
func excluded(st store.Stream, s subject) bool {
	if len(st.Excluded) == 0 {
		return false
	}
	parts := []any{s}
	if s["format"] == "complex" {
		for k, v := range s {
			if k != "format" {
				parts = append(parts, v)
			}
		}
	}
	for _, p := range parts {
		b, _ := json.Marshal(p)
		for _, x := range st.Excluded {
			if bytes.Equal(canonical(x), b) {
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
