package setpush

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// claims are the claims the receiver checks; the rest is the decoder's.
type claims struct {
	Issuer   string
	Audience []string
	IssuedAt *time.Time
	Expires  *time.Time
	JTI      string
}

// parseClaims reads a SET's payload: a JSON object whose iss is a
// string, aud a string or a list of them, iat and exp numbers.
func parseClaims(payload []byte) (claims, error) {
	var raw struct {
		Iss json.RawMessage `json:"iss"`
		Aud json.RawMessage `json:"aud"`
		Iat json.RawMessage `json:"iat"`
		Exp json.RawMessage `json:"exp"`
		Jti json.RawMessage `json:"jti"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&raw); err != nil {
		return claims{}, refuse(CodeInvalidRequest,
			"the payload is not a JSON object of claims")
	}
	var c claims
	if json.Unmarshal(raw.Iss, &c.Issuer) != nil || c.Issuer == "" {
		return claims{}, refuse(CodeInvalidRequest,
			"iss: missing, or not a string")
	}
	aud, ok := audience(raw.Aud)
	if !ok {
		return claims{}, refuse(CodeInvalidRequest,
			"aud: not a string or a list of strings")
	}
	c.Audience = aud
	var err error
	if c.IssuedAt, err = numericDate("iat", raw.Iat); err != nil {
		return claims{}, err
	}
	if c.Expires, err = numericDate("exp", raw.Exp); err != nil {
		return claims{}, err
	}
	if len(raw.Jti) > 0 && json.Unmarshal(raw.Jti, &c.JTI) != nil {
		return claims{}, refuse(CodeInvalidRequest, "jti: not a string")
	}
	return c, nil
}

// audience reads aud: absent, a string, or a list of strings.
func audience(raw json.RawMessage) ([]string, bool) {
	if len(raw) == 0 {
		return nil, true
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, true
	}
	var many []string
	err := json.Unmarshal(raw, &many)
	return many, err == nil
}

// maxDate is the last NumericDate read: the end of year 9999.
const maxDate = 253402300799

// numericDate reads a NumericDate claim (seconds since the epoch); nil
// when absent.
func numericDate(name string, raw json.RawMessage) (*time.Time, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var secs float64
	if json.Unmarshal(raw, &secs) != nil || secs < 0 || secs > maxDate {
		return nil, refuse(CodeInvalidRequest, "%s: not a number of "+
			"seconds since 1970 before 10000 (%.40s)", name, raw)
	}
	t := time.Unix(int64(secs), 0)
	return &t, nil
}

// checkClaims checks the claims of a SET whose signature verified.
func (r *Receiver) checkClaims(c claims) error {
	now := r.now()
	switch {
	case !slices.Contains(c.Audience, r.cfg.Audience):
		return refuse(CodeInvalidAudience, "aud %q does not name this "+
			"receiver (%s)", c.Audience, r.cfg.Audience)
	case c.JTI == "":
		return refuse(CodeInvalidRequest, "jti: missing; a SET has one")
	case c.IssuedAt == nil:
		return refuse(CodeInvalidRequest, "iat: missing; a SET has one")
	case c.IssuedAt.After(now.Add(r.cfg.Skew)):
		return refuse(CodeInvalidRequest, "iat: %s is in the future "+
			"(more than %s past this receiver's clock, %s)",
			c.IssuedAt.UTC().Format(time.RFC3339), r.cfg.Skew,
			now.UTC().Format(time.RFC3339))
	case c.Expires != nil && c.Expires.Before(now.Add(-r.cfg.Skew)):
		return refuse(CodeInvalidRequest, "exp: the SET expired at %s",
			c.Expires.UTC().Format(time.RFC3339))
	}
	return nil
}
