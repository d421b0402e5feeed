package propagation

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/killswitch-dev/killswitch/engine"
)

// The event types a stream may ask for.
const (
	// EventSessionRevoked (CAEP 1.0) says a session was revoked.
	EventSessionRevoked = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
	// EventCredentialChange (CAEP 1.0) says a credential was revoked.
	EventCredentialChange = "https://schemas.openid.net/secevent/caep/event-type/credential-change"
	// EventAccountDisabled (RISC 1.0) says a principal was disabled.
	EventAccountDisabled = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"
	// EventVerification (SSF 1.0) answers a receiver's verification
	// request; every stream gets it.
	EventVerification = "https://schemas.openid.net/secevent/ssf/event-type/verification"
)

// EventsSupported are the event types the transmitter emits on request.
var EventsSupported = []string{EventSessionRevoked, EventCredentialChange,
	EventAccountDisabled}

// SETMediaType is the content type of a pushed SET (RFC 8935).
const SETMediaType = "application/secevent+jwt"

// setType maps a revocation to the event type that announces it.
func setType(ev engine.RevocationEvent) string {
	switch ev.Type {
	case "session":
		return EventSessionRevoked
	case "credential":
		return EventCredentialChange
	case "principal":
		return EventAccountDisabled
	}
	return ""
}

// claims is the payload of a Security Event Token (RFC 8417 as SSF 1.0
// profiles it: the subject in sub_id, one event per token).
type claims struct {
	Issuer   string         `json:"iss"`
	ID       string         `json:"jti"`
	IssuedAt int64          `json:"iat"`
	Audience any            `json:"aud,omitempty"`
	Txn      string         `json:"txn,omitempty"`
	Subject  subject        `json:"sub_id"`
	Events   map[string]any `json:"events"`
}

// audience is aud as a string when there is one value, as RFC 7519
// allows and most receivers expect.
func audience(aud []string) any {
	switch len(aud) {
	case 0:
		return nil
	case 1:
		return aud[0]
	}
	return aud
}

// jti is the SET's id: the same for the same revocation on the same
// stream, so that publishing a revocation again queues nothing new.
func jti(eventID, streamID string) string {
	sum := sha256.Sum256([]byte(eventID + "|" + streamID))
	return hex.EncodeToString(sum[:16])
}

// initiatingEntity says who caused a revocation, in CAEP's terms.
func initiatingEntity(by string) string {
	if strings.HasPrefix(by, "operator:") {
		return "admin"
	}
	return "policy"
}

// caepFields are the members every CAEP event of a revocation carries.
func caepFields(ev engine.RevocationEvent) map[string]any {
	f := map[string]any{"event_timestamp": ev.At.Unix(),
		"initiating_entity": initiatingEntity(ev.By)}
	if ev.Reason != "" {
		f["reason_admin"] = map[string]string{"en": ev.Reason}
	}
	return f
}

// credentialType is CAEP's credential_type for a registry credential
// kind. Kinds CAEP does not name (api_key, access_key) are sent as they
// are, which CAEP allows for types both sides agree on.
func credentialType(kind string) string {
	switch kind {
	case "certificate", "x509":
		return "x509"
	case "":
		return "unknown"
	}
	return kind
}

// sign serialises c as a compact JWS with the signer's key, typed as a
// SET.
func sign(s signer, c claims) ([]byte, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode SET %s: %w", c.ID, err)
	}
	h := jws.NewHeaders()
	for k, v := range map[string]any{jws.TypeKey: "secevent+jwt",
		jws.KeyIDKey: s.kid} {
		if err := h.Set(k, v); err != nil {
			return nil, err
		}
	}
	out, err := jws.Sign(payload, jws.WithKey(s.alg, s.key,
		jws.WithProtectedHeaders(h)))
	if err != nil {
		return nil, fmt.Errorf("sign SET %s: %w", c.ID, err)
	}
	return out, nil
}

// newClaims is a SET's payload without its subject and event.
func newClaims(iss string, aud []string, id, txn string, now time.Time) claims {
	return claims{Issuer: iss, ID: id, IssuedAt: now.Unix(),
		Audience: audience(aud), Txn: txn}
}
