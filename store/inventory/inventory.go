// Package inventory reads inventory files: the principals, their aliases,
// credentials and sessions, and the locks, that `killswitch import`, the
// demo and tests load into a registry. A file is YAML or JSON with one set
// of field names (see File).
//
// Times are RFC 3339, or an offset from the import time: a sign, a whole
// number and a unit of s, m, h, d (24 hours) or w (7 days), as in -30d,
// -12h, +90d. An empty time is none, except created_at, which defaults to
// the import time. An empty status is "active".
//
// A file never holds a secret: credentials carry a fingerprint
// ("sha256:<hex>" of the secret) or the issuer's key id. A credential,
// session or principal with a field named like a secret (secret, token,
// password, value, ...) is refused, and the error does not repeat it.
package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/killswitch-dev/killswitch/store"
)

// File is a parsed, checked inventory file.
type File struct {
	Principals []Principal `json:"principals"`
	// Locks are placed as they are; each needs an id so that importing
	// the file twice places each lock once.
	Locks []Lock `json:"locks,omitempty"`

	name string
}

// Principal is a principal with everything it owns.
type Principal struct {
	ID string `json:"id"`
	// Kind is human, service_account, api_client, agent or workload.
	Kind        string            `json:"kind"`
	DisplayName string            `json:"display_name,omitempty"`
	Owner       string            `json:"owner,omitempty"`
	Status      string            `json:"status,omitempty"`
	BreakGlass  bool              `json:"break_glass,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	CreatedAt   string            `json:"created_at,omitempty"`
	Aliases     []Alias           `json:"aliases,omitempty"`
	Credentials []Credential      `json:"credentials,omitempty"`
	Sessions    []Session         `json:"sessions,omitempty"`
}

// Alias is an identifier of a principal or credential in some system.
type Alias struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Credential is a credential of the principal it is listed under.
type Credential struct {
	ID string `json:"id"`
	// Kind is password, api_key, access_key, oauth_client_secret, token,
	// ssh_key or certificate.
	Kind       string `json:"kind"`
	Store      string `json:"store"`
	ExternalID string `json:"external_id,omitempty"`
	// Fingerprint is "sha256:<hex>" of the secret or the issuer's key
	// id, never the secret; it also becomes a secret_hash alias.
	Fingerprint string    `json:"fingerprint,omitempty"`
	Status      string    `json:"status,omitempty"`
	CreatedAt   string    `json:"created_at,omitempty"`
	RotatedAt   string    `json:"rotated_at,omitempty"`
	LastUsedAt  string    `json:"last_used_at,omitempty"`
	ExpiresAt   string    `json:"expires_at,omitempty"`
	Exposure    *Exposure `json:"exposure,omitempty"`
	Aliases     []Alias   `json:"aliases,omitempty"`
}

// Exposure says when and through what a credential leaked.
type Exposure struct {
	At     string `json:"at"`
	Source string `json:"source"`
	Where  string `json:"where,omitempty"`
}

// Session is a session of the principal it is listed under.
type Session struct {
	ID         string `json:"id"`
	Provider   string `json:"provider"`
	ExternalID string `json:"external_id,omitempty"`
	// Kind is browser, token, api, agent or ssh.
	Kind   string       `json:"kind"`
	Origin store.Origin `json:"origin,omitzero"`
	// Credential is the id of a credential in the same file.
	Credential string `json:"credential,omitempty"`
	Status     string `json:"status,omitempty"`
	CreatedAt  string `json:"created_at,omitempty"`
	LastSeenAt string `json:"last_seen_at,omitempty"`
	ExpiresAt  string `json:"expires_at,omitempty"`
}

// Lock is a lock on a principal, credential, device or origin.
type Lock struct {
	ID         string `json:"id"`
	TargetType string `json:"target_type"`
	Target     string `json:"target"`
	Reason     string `json:"reason,omitempty"`
	CreatedBy  string `json:"created_by,omitempty"`
	CreatedAt  string `json:"created_at,omitempty"`
	ExpiresAt  string `json:"expires_at,omitempty"`
}

// Load reads and checks the inventory file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load inventory: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes and checks an inventory file; name is where it came
// from, and starts every error. Unknown fields are errors.
func Parse(data []byte, name string) (*File, error) {
	if err := checkFields(data, name); err != nil {
		return nil, err
	}
	f := &File{name: name}
	if err := yaml.UnmarshalStrict(data, f); err != nil {
		return nil, decodeError(name, err)
	}
	if _, err := f.build(time.Now()); err != nil {
		return nil, err
	}
	return f, nil
}

// decodeError says what strict decoding found wrong, in the words of the
// file: a field of the wrong type, or YAML that does not parse. Neither
// repeats a value.
func decodeError(name string, err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Errorf("%s: %s: want %s, not %s", name, typeErr.Field,
			typeErr.Type, typeErr.Value)
	}
	return fmt.Errorf("%s: not valid YAML or JSON: %w", name, err)
}
