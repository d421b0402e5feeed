package setpush

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// keysOf is the JWKS of issuer iss, and whether it was fetched for this
// call: invalid_issuer for one not configured, ErrKeysUnavailable for a
// URL not fetched yet that does not answer now.
func (r *Receiver) keysOf(ctx context.Context, iss string) (jwk.Set, bool, error) {
	src, ok := r.cfg.Issuers[iss]
	if !ok {
		return nil, false, refuse(CodeInvalidIssuer, "iss %q is not an "+
			"issuer this receiver accepts SETs from%s", iss, r.nearIssuer(iss))
	}
	if set, ok := r.files[iss]; ok {
		return set, false, nil
	}
	set, err := r.cache.Lookup(ctx, src)
	if err == nil {
		return set, false, nil
	}
	set, err = r.refetch(ctx, src)
	var wait *WaitError
	if errors.As(err, &wait) {
		// Another request's fetch may have landed since.
		if set, err := r.cache.Lookup(ctx, src); err == nil {
			return set, false, nil
		}
	}
	return set, err == nil, err
}

// nearIssuer names, for an iss not configured, a configured issuer that
// differs from it only by a trailing slash or in case: issuers are
// compared exactly (RFC 7519), and killswitch's transmitter writes its
// --ssf-issuer without one, so a receiver configured with the URL as an
// operator typed it refused every SET with no clue why.
func (r *Receiver) nearIssuer(iss string) string {
	want := strings.ToLower(strings.TrimSuffix(iss, "/"))
	for c := range r.cfg.Issuers {
		if strings.ToLower(strings.TrimSuffix(c, "/")) == want {
			return fmt.Sprintf(" (%q is, and issuers are compared "+
				"exactly: configure the iss as the transmitter sends it)", c)
		}
	}
	return ""
}

// WaitError is an issuer's JWKS that may not be fetched again yet: it
// was fetched less than Config.RefetchEvery ago, for a kid it lacked.
// It wraps ErrKeysUnavailable: the SET is neither taken nor refused,
// and the transmitter sends it again once Wait has passed.
type WaitError struct {
	// URL is the JWKS URL as errors show it (shownURL).
	URL string
	// Wait is how long until it may be fetched again.
	Wait time.Duration
	// Kid is the kid the JWKS lacked; empty when there is no JWKS yet
	// (its first fetches failed).
	Kid string
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("jwks %s was fetched less than a refetch period "+
		"ago; it may be fetched again in %s", e.URL, e.Wait.Round(time.Second))
}

// Unwrap makes a WaitError an ErrKeysUnavailable.
func (e *WaitError) Unwrap() error { return ErrKeysUnavailable }

// refetch fetches the JWKS at src anew, unless it was fetched so less
// than RefetchEvery ago: it fails with a *WaitError then.
func (r *Receiver) refetch(ctx context.Context, src string) (jwk.Set, error) {
	if wait := r.claimFetch(src); wait > 0 {
		return nil, &WaitError{URL: shownURL(src), Wait: wait}
	}
	set, err := r.cache.Refresh(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w: %s", shownURL(src), ErrKeysUnavailable,
			scrubURL(err.Error(), src))
	}
	return set, nil
}

// claimFetch records a fetch of src now and returns 0 when src was not
// fetched in the last RefetchEvery; else how long until it may be.
func (r *Receiver) claimFetch(src string) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if last, seen := r.fetched[src]; seen {
		if wait := r.cfg.RefetchEvery - now.Sub(last); wait > 0 {
			return wait
		}
	}
	r.fetched[src] = now
	return 0
}

// scrubURL is msg with the credentials of the JWKS URL src (its
// password, its query) replaced wherever they appear: an HTTP client's
// error quotes the URL it asked, query and all.
func scrubURL(msg, src string) string {
	msg = strings.ReplaceAll(msg, src, shownURL(src))
	u, err := url.Parse(src)
	if err != nil {
		return strings.ReplaceAll(msg, src, shownURL(src))
	}
	if u.RawQuery != "" {
		msg = strings.ReplaceAll(msg, u.RawQuery, "...")
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return msg
}

// shownURL is a JWKS URL as logs and errors show it: without a password
// or query, either of which may carry a credential (a JWKS behind a
// token in its query string was logged with the token).
func shownURL(src string) string {
	u, err := url.Parse(src)
	if err != nil {
		return "(a JWKS URL that does not parse)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "..."
	}
	return u.Redacted()
}

// verifySignature verifies the SET with the issuer's key its kid names
// (every key, for a SET that names none), fetching the issuer's JWKS
// anew for a kid it lacks (unless fresh says keys were fetched just
// now): the transmitter may have rotated. A kid is refused only once a
// fetch made after the SET arrived lacks it too:
// while the JWKS may not be fetched again (RefetchEvery) or does not
// answer, the SET waits (ErrKeysUnavailable), as a transmitter drops a
// SET refused, and one signed by a key rotated in within a minute of
// another unknown kid was lost.
func (r *Receiver) verifySignature(ctx context.Context, set []byte,
	h protected, iss string, keys jwk.Set, fresh bool) error {
	cands := candidates(keys, h.kid)
	if len(cands) == 0 && r.cache != nil && !fresh {
		if _, isFile := r.files[iss]; !isFile {
			again, err := r.refetch(ctx, r.cfg.Issuers[iss])
			var wait *WaitError
			if errors.As(err, &wait) {
				wait.Kid = h.kid
			}
			if err != nil {
				return fmt.Errorf("kid %q is not in the JWKS of %s as "+
					"last fetched: %w", h.kid, iss, err)
			}
			cands = candidates(again, h.kid)
		}
	}
	if len(cands) == 0 {
		if h.kid == "" {
			return refuse(CodeInvalidKey, "the JWKS of %s has no key", iss)
		}
		return refuse(CodeInvalidKey, "the JWKS of %s has no key with "+
			"kid %q", iss, h.kid)
	}
	return verifyWith(set, h, cands)
}

// candidates are the keys of set that may have signed a SET naming kid
// ("" for any).
func candidates(set jwk.Set, kid string) []jwk.Key {
	var out []jwk.Key
	for i := range set.Len() {
		k, _ := set.Key(i)
		if id, _ := k.KeyID(); kid != "" && id != kid {
			continue
		}
		out = append(out, k)
	}
	return out
}

// verifyWith verifies set with one of keys: invalid_key when none may
// sign with the SET's algorithm (a symmetric key, which a published
// JWKS makes anyone's; a key for another algorithm, or of another
// type), authentication_failed when one may and the signature does not
// verify.
func verifyWith(set []byte, h protected, keys []jwk.Key) error {
	tried := 0
	for _, k := range keys {
		if !usable(k, h.alg) {
			continue
		}
		tried++
		if _, err := jws.Verify(set, jws.WithKey(h.alg, k)); err == nil {
			return nil
		}
	}
	if tried == 0 {
		return refuse(CodeInvalidKey, "no key of the issuer (kid %q) "+
			"is for alg %s", h.kid, h.alg)
	}
	return refuse(CodeAuthenticationFailed, "the signature does not "+
		"verify with the issuer's key (kid %q, alg %s)", h.kid, h.alg)
}

// algsOf are the signature algorithms each asymmetric key type signs
// with; a symmetric (oct) key is none's.
var algsOf = map[jwa.KeyType][]jwa.SignatureAlgorithm{
	jwa.EC(): {jwa.ES256(), jwa.ES384(), jwa.ES512()},
	jwa.RSA(): {jwa.RS256(), jwa.RS384(), jwa.RS512(), jwa.PS256(),
		jwa.PS384(), jwa.PS512()},
	jwa.OKP(): {jwa.EdDSA()},
}

// usable reports whether k may verify a signature of alg: a public key
// of a type that signs with alg, and for alg when it names one.
func usable(k jwk.Key, alg jwa.SignatureAlgorithm) bool {
	if ka, ok := k.Algorithm(); ok && ka.String() != alg.String() {
		return false
	}
	return slices.Contains(algsOf[k.KeyType()], alg)
}
