package introspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Request asks about one session or credential: exactly one of
// SessionID, TokenFingerprint, or Provider with ExternalID.
type Request struct {
	SessionID string `json:"session_id,omitempty"`
	// TokenFingerprint is the SHA-256 of the token, hex, with or without
	// a "sha256:" prefix: the token itself is never sent.
	TokenFingerprint string `json:"token_fingerprint,omitempty"`
	Provider         string `json:"provider,omitempty"`
	ExternalID       string `json:"external_id,omitempty"`
}

// ErrBadRequest marks a Request that names no target, several, or a
// malformed fingerprint.
var ErrBadRequest = errors.New("bad introspection request")

// Validate checks that r names exactly one target.
func (r Request) Validate() error {
	n := 0
	for _, set := range []bool{r.SessionID != "", r.TokenFingerprint != "",
		r.Provider != "" || r.ExternalID != ""} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return fmt.Errorf("%w: name exactly one of session_id, "+
			"token_fingerprint, or provider with external_id", ErrBadRequest)
	case (r.Provider == "") != (r.ExternalID == ""):
		return fmt.Errorf("%w: provider and external_id go together",
			ErrBadRequest)
	case r.TokenFingerprint != "" && normalPrint(r.TokenFingerprint) == "":
		return fmt.Errorf("%w: token_fingerprint: not a SHA-256 hex digest "+
			"(64 hex digits, optionally after \"sha256:\")", ErrBadRequest)
	}
	return nil
}

// maxRequest bounds an introspection request body.
const maxRequest = 4 << 10

// DecodeRequest reads a JSON Request from body, refusing unknown fields
// and anything after it, and validates it.
func DecodeRequest(body io.Reader) (Request, error) {
	dec := json.NewDecoder(io.LimitReader(body, maxRequest+1))
	dec.DisallowUnknownFields()
	var r Request
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("%w: body: %s", ErrBadRequest, jsonError(err))
	}
	if dec.More() {
		return r, fmt.Errorf("%w: body: more than one JSON value",
			ErrBadRequest)
	}
	return r, r.Validate()
}

// jsonError describes a decoding error without echoing the input.
func jsonError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s: want a %s", typ.Field, typ.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "empty or cut short (at most 4 KiB)"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "not a JSON object"
}
