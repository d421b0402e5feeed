// Package setpush is the receiving end of push-based Security Event
// Token delivery (RFC 8935), as a Shared Signals Framework receiver: it
// verifies a SET a transmitter POSTs against that transmitter's JWKS
// and checks its claims, so that the API can hand them to the engine,
// whose CAEP and RISC decoders read a SET's claims.
//
// A SET is accepted when it is a JWS in compact serialization with one
// signature, of a configured issuer (iss), verified by a key of that
// issuer's JWKS (by kid when it names one; never a symmetric key, which
// a JWKS would make public, and never alg none), when this receiver's
// audience is among its aud, its iat is not past now plus the skew, its
// exp (if any) not before now less the skew, and it has a jti; a
// header naming critical extensions (crit) or an unencoded payload (b64)
// is refused. What is
// refused is an *Error with the RFC 8935 section 2.4 code.
package setpush

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// The error codes of RFC 8935 section 2.4.
const (
	// CodeInvalidRequest: the body is not a SET, or its claims are not
	// what a SET's must be.
	CodeInvalidRequest = "invalid_request"
	// CodeInvalidKey: no key of the issuer's JWKS may verify it (none
	// with its kid, a symmetric key, an algorithm the key is not for).
	CodeInvalidKey = "invalid_key"
	// CodeInvalidIssuer: its iss is not a configured issuer.
	CodeInvalidIssuer = "invalid_issuer"
	// CodeInvalidAudience: this receiver's audience is not in its aud.
	CodeInvalidAudience = "invalid_audience"
	// CodeAuthenticationFailed: it is unsigned (alg none), or its
	// signature does not verify with the issuer's key.
	CodeAuthenticationFailed = "authentication_failed"
	// CodeAccessDenied: the transmitter may not send it. The API's
	// bearer tokens decide who may push; this receiver does not use it.
	CodeAccessDenied = "access_denied"
)

// Error is a SET refused, in the JSON of RFC 8935 section 2.3.
type Error struct {
	Code        string `json:"err"`
	Description string `json:"description"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func refuse(code, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...)}
}

// ErrKeysUnavailable is an issuer's JWKS that cannot be fetched now: the
// SET is neither accepted nor refused, and the transmitter sends it
// again later.
var ErrKeysUnavailable = errors.New("the issuer's JWKS cannot be fetched")

// Config is what the receiver accepts.
type Config struct {
	// Issuers maps each issuer whose SETs are accepted (its iss, exactly)
	// to its JWKS: an http or https URL, fetched and cached (refreshed
	// as its Cache-Control says, between 15 minutes and a day, and at
	// once, at most every RefetchEvery, for a kid it does not hold), or
	// the path of a file, read once by New. At least one.
	Issuers map[string]string
	// Audience must be one of a SET's aud; required.
	Audience string
	// Skew is how far in the future iat, and how far in the past exp,
	// may be; default 5 minutes.
	Skew time.Duration
	// RefetchEvery bounds how often a kid the cached JWKS lacks (a key
	// the transmitter rotated in) fetches an issuer's JWKS anew;
	// default 1 minute.
	RefetchEvery time.Duration
}

func (c Config) withDefaults() Config {
	if c.Skew <= 0 {
		c.Skew = 5 * time.Minute
	}
	if c.RefetchEvery <= 0 {
		c.RefetchEvery = time.Minute
	}
	return c
}

// Validate names what is missing or wrong.
func (c Config) Validate() error {
	switch {
	case len(c.Issuers) == 0:
		return errors.New("no issuer to accept SETs from")
	case strings.TrimSpace(c.Audience) == "":
		return errors.New("no audience: a SET's aud must name this receiver")
	}
	for iss, src := range c.Issuers {
		if iss == "" || src == "" {
			return fmt.Errorf("issuer %q: want ISSUER=JWKS_URL_OR_FILE, "+
				"both given", iss)
		}
	}
	return nil
}

// Receiver verifies SETs. Its methods may be called concurrently.
type Receiver struct {
	cfg   Config
	now   func() time.Time
	cache *jwk.Cache
	// files are the JWKS read from files, by issuer.
	files map[string]jwk.Set

	mu sync.Mutex
	// fetched is when each URL was last fetched for an unknown kid.
	fetched map[string]time.Time
}

// New builds a receiver, reading the JWKS files and registering the
// URLs with a cache that lives until ctx is done. A URL that does not
// answer yet does not stop it: its SETs wait (ErrKeysUnavailable).
func New(ctx context.Context, cfg Config, now func() time.Time) (*Receiver, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Receiver{cfg: cfg, now: now, files: map[string]jwk.Set{},
		fetched: map[string]time.Time{}}
	urls := map[string]bool{}
	for iss, src := range cfg.Issuers {
		if isURL(src) {
			urls[src] = true
			continue
		}
		set, err := jwk.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("issuer %s: JWKS file: %w", iss, err)
		}
		r.files[iss] = set
	}
	if len(urls) == 0 {
		return r, nil
	}
	cache, err := jwk.NewCache(ctx, httprc.NewClient(httprc.WithWhitelist(
		httprc.WhitelistFunc(func(u string) bool { return urls[u] }))))
	if err != nil {
		return nil, fmt.Errorf("jwks cache: %w", err)
	}
	for u := range urls {
		if err := cache.Register(ctx, u, jwk.WithWaitReady(false)); err != nil {
			return nil, fmt.Errorf("jwks %s: %s", shownURL(u),
				scrubURL(err.Error(), u))
		}
	}
	r.cache = cache
	return r, nil
}

// isURL reports whether a JWKS source is fetched rather than read.
func isURL(src string) bool {
	return strings.HasPrefix(src, "https://") ||
		strings.HasPrefix(src, "http://")
}

// Verify checks a SET in compact serialization and returns its claims,
// the JWS payload as it was signed. It fails with an *Error, or with
// ErrKeysUnavailable (wrapped) when the issuer's keys cannot be had now.
func (r *Receiver) Verify(ctx context.Context, set []byte) ([]byte, error) {
	set = bytes.TrimSpace(set)
	msg, err := jws.Parse(set, jws.WithCompact())
	if err != nil {
		return nil, refuse(CodeInvalidRequest, "not a JWS in compact "+
			"serialization (header.payload.signature)")
	}
	h, err := header(msg)
	if err != nil {
		return nil, err
	}
	c, err := parseClaims(msg.Payload())
	if err != nil {
		return nil, err
	}
	keys, fresh, err := r.keysOf(ctx, c.Issuer)
	if err != nil {
		return nil, err
	}
	err = r.verifySignature(ctx, set, h, c.Issuer, keys, fresh)
	if err != nil {
		return nil, err
	}
	if err := r.checkClaims(c); err != nil {
		return nil, err
	}
	return msg.Payload(), nil
}

// protected is what the receiver reads of a SET's protected header.
type protected struct {
	alg jwa.SignatureAlgorithm
	kid string
}

// header reads the one signature's protected header: a signed SET
// (alg other than none), typed as a SET if typed at all.
func header(msg *jws.Message) (protected, error) {
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return protected{}, refuse(CodeInvalidRequest,
			"a SET has one signature, this has %d", len(sigs))
	}
	h := sigs[0].ProtectedHeaders()
	alg, ok := h.Algorithm()
	if !ok || alg == jwa.NoSignature() {
		return protected{}, refuse(CodeAuthenticationFailed,
			"the SET is not signed (alg none): only signed SETs are accepted")
	}
	if typ, ok := h.Type(); ok && !isSETType(typ) {
		return protected{}, refuse(CodeInvalidRequest, "typ %q is not "+
			"secevent+jwt: the token is not a SET", typ)
	}
	if err := noExtensions(h); err != nil {
		return protected{}, err
	}
	kid, _ := h.KeyID()
	return protected{alg: alg, kid: kid}, nil
}

// noExtensions refuses a header that asks for what this receiver does
// not do: a crit list, which RFC 7515 (4.1.11) has a receiver refuse
// unless it understands every extension named, and an unencoded
// payload (b64, RFC 7797), which a SET, as a JWT, never has.
func noExtensions(h jws.Headers) error {
	if crit, ok := h.Critical(); ok {
		return refuse(CodeInvalidRequest, "crit %q: this receiver "+
			"understands no critical header extension", crit)
	}
	if h.Has("b64") {
		return refuse(CodeInvalidRequest, "b64: a SET's payload is "+
			"base64url-encoded, as every JWT's")
	}
	return nil
}

// isSETType reports whether a typ header names a SET (RFC 8417 2.3).
func isSETType(typ string) bool {
	t := strings.ToLower(typ)
	return t == "secevent+jwt" || t == "application/secevent+jwt"
}
