package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// The headers a request carries.
const (
	SignatureHeader = "X-Killswitch-Signature"
	TimestampHeader = "X-Killswitch-Timestamp"
)

// Connector posts revocation requests to one endpoint.
type Connector struct {
	provider string
	key      restclient.Secret
	api      *restclient.Client
	now      func() time.Time
}

// New builds the connector named name serving provider.
func New(name, provider string, cfg Config, log *slog.Logger) (*Connector, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.HTTP.Dialect = restclient.Dialect{AlreadyDone: func(e *restclient.APIError) bool {
		return e.Status == http.StatusConflict
	}}
	api, err := restclient.New(name, cfg.HTTP, cfg.auth(), log)
	if err != nil {
		return nil, err
	}
	return &Connector{provider: provider, key: cfg.SigningKey, api: api, now: time.Now}, nil
}

// Provider is the provider name sessions and credentials carry.
func (c *Connector) Provider() string { return c.provider }

// Payload is the body of a request.
type Payload struct {
	// ID is the idempotency key: the same for every retry of one change.
	ID           string            `json:"id"`
	Op           connectors.Op     `json:"op"`
	Principal    Principal         `json:"principal"`
	Aliases      []Alias           `json:"aliases,omitempty"`
	Session      *store.Session    `json:"session,omitempty"`
	Credential   *store.Credential `json:"credential,omitempty"`
	RevokeTokens bool              `json:"revoke_tokens"`
}

// Principal and Alias are the parts of the registry's records sent.
type Principal struct {
	ID   string              `json:"id"`
	Kind store.PrincipalKind `json:"kind"`
}

// Alias names the principal in some system.
type Alias struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Revoke posts req, signed, and classifies the answer.
func (c *Connector) Revoke(ctx context.Context, req connectors.Request) connectors.Result {
	p := payload(req)
	body, err := json.Marshal(p)
	if err != nil {
		return connectors.Result{Outcome: connectors.Permanent, Err: err}
	}
	ts := c.now()
	h := http.Header{TimestampHeader: {strconv.FormatInt(ts.Unix(), 10)},
		SignatureHeader: {Sign([]byte(c.key.Reveal()), ts, body)}}
	resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodPost,
		Path: "", Body: body, Header: h, IdempotencyKey: p.ID})
	res := c.api.Result(resp, err)
	if resp != nil && resp.Status == http.StatusUnprocessableEntity {
		res.Outcome = connectors.Unsupported
	}
	return res
}

func payload(req connectors.Request) Payload {
	p := Payload{Op: req.Op, RevokeTokens: req.RevokeTokens,
		Principal: Principal{ID: req.Principal.ID, Kind: req.Principal.Kind},
		Session:   req.Session, Credential: req.Credential}
	for _, a := range req.Aliases {
		p.Aliases = append(p.Aliases, Alias{Type: a.Type, Value: a.Value})
	}
	p.ID = idempotencyKey(p)
	return p
}

// idempotencyKey hashes what names the change: operation, principal and
// the session or credential.
func idempotencyKey(p Payload) string {
	parts := []string{string(p.Op), p.Principal.ID}
	if p.Session != nil {
		parts = append(parts, "session", p.Session.ID)
	}
	if p.Credential != nil {
		parts = append(parts, "credential", p.Credential.ID)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// Sign returns the signature header value of body sent at ts:
// "sha256=" and the hex HMAC-SHA256 of "<unix seconds>.<body>".
func Sign(key []byte, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10) + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// ErrBadSignature is what Check returns for a request it refuses.
var ErrBadSignature = errors.New("webhook: bad or stale signature")

// Check verifies a received request, for receivers written in Go: the
// signature must match and the timestamp be within skew of now.
func Check(key []byte, h http.Header, body []byte, now time.Time, skew time.Duration) error {
	secs, err := strconv.ParseInt(h.Get(TimestampHeader), 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	ts := time.Unix(secs, 0)
	if ts.Before(now.Add(-skew)) || ts.After(now.Add(skew)) {
		return ErrBadSignature
	}
	if !hmac.Equal([]byte(Sign(key, ts, body)), []byte(h.Get(SignatureHeader))) {
		return ErrBadSignature
	}
	return nil
}
