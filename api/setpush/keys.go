package setpush

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// keysOf is the JWKS of issuer iss: invalid_issuer for one not
// configured, ErrKeysUnavailable for a URL not fetched yet that does not
// answer now.
func (r *Receiver) keysOf(ctx context.Context, iss string) (jwk.Set, error) {
	src, ok := r.cfg.Issuers[iss]
	if !ok {
		return nil, refuse(CodeInvalidIssuer, "iss %q is not an issuer "+
			"this receiver accepts SETs from%s", iss, r.nearIssuer(iss))
	}
	if set, ok := r.files[iss]; ok {
		return set, nil
	}
	set, err := r.cache.Lookup(ctx, src)
	if err == nil {
		return set, nil
	}
	if set, err = r.refetch(ctx, src); err != nil {
		return nil, err
	}
	return set, nil
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

// refetch fetches the JWKS at url anew, unless it was fetched so less
// than RefetchEvery ago; nil, nil then.
func (r *Receiver) refetch(ctx context.Context, src string) (jwk.Set, error) {
	r.mu.Lock()
	now := r.now()
	last, seen := r.fetched[src]
	due := !seen || now.Sub(last) >= r.cfg.RefetchEvery
	if due {
		r.fetched[src] = now
	}
	r.mu.Unlock()
	if !due {
		set, err := r.cache.Lookup(ctx, src)
		if err != nil {
			return nil, fmt.Errorf("jwks %s: %w", shownURL(src), ErrKeysUnavailable)
		}
		return set, nil
	}
	set, err := r.cache.Refresh(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w: %s", shownURL(src), ErrKeysUnavailable,
			scrubURL(err.Error(), src))
	}
	return set, nil
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
// anew once for a kid it lacks: the transmitter may have rotated.
func (r *Receiver) verifySignature(ctx context.Context, set []byte,
	h protected, iss string, keys jwk.Set) error {
	cands := candidates(keys, h.kid)
	if len(cands) == 0 && r.cache != nil {
		if _, isFile := r.files[iss]; !isFile {
			fresh, err := r.refetch(ctx, r.cfg.Issuers[iss])
			if err != nil && !errors.Is(err, ErrKeysUnavailable) {
				return err
			}
			if fresh != nil {
				cands = candidates(fresh, h.kid)
			}
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
