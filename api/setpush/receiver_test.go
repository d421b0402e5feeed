package setpush

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// fileReceiver is a receiver of issuer https://idp/ (no dot: an
// unencoded payload may hold none) whose JWKS,
// a file, holds the public half of a new ES256 key, returned.
func fileReceiver(t *testing.T) (*Receiver, jwk.Key) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	key, err := jwk.Import(priv)
	must(t, err)
	must(t, key.Set(jwk.KeyIDKey, "key-1"))
	pub, err := key.PublicKey()
	must(t, err)
	set := jwk.NewSet()
	must(t, set.AddKey(pub))
	b, err := json.Marshal(set)
	must(t, err)
	path := filepath.Join(t.TempDir(), "jwks.json")
	must(t, os.WriteFile(path, b, 0o600))
	r, err := New(t.Context(), Config{Audience: "urn:killswitch:ssf",
		Issuers: map[string]string{"https://idp/": path}}, time.Now)
	must(t, err)
	return r, key
}

// setClaims are the claims of a SET this receiver takes.
func setClaims(t *testing.T) []byte {
	b, err := json.Marshal(map[string]any{"iss": "https://idp/",
		"aud": "urn:killswitch:ssf", "iat": time.Now().Unix(),
		"jti": "set-1", "events": map[string]any{}})
	must(t, err)
	return b
}

// signed is the claims signed with key under the extra header fields.
func signed(t *testing.T, key jwk.Key, claims []byte,
	fields map[string]any) []byte {
	t.Helper()
	h := jws.NewHeaders()
	for k, v := range fields {
		must(t, h.Set(k, v))
	}
	out, err := jws.Sign(claims, jws.WithKey(jwa.ES256(), key,
		jws.WithProtectedHeaders(h)))
	must(t, err)
	return out
}

// A signed SET whose header names critical extensions was taken: RFC
// 7515 has a receiver refuse one whose extensions it does not
// understand, and a SET with an unencoded payload (b64 false) is no
// JWT, whatever its claims.
func TestASETWithHeaderExtensionsIsRefused(t *testing.T) {
	r, key := fileReceiver(t)
	claims := setClaims(t)
	if _, err := r.Verify(t.Context(), signed(t, key, claims, nil)); err != nil {
		t.Fatalf("a plain SET: %v", err)
	}
	cases := []struct {
		name   string
		fields map[string]any
		says   string
	}{
		{"a critical extension it does not know", map[string]any{
			"crit":                       []string{"urn:example:revoke-only-if"},
			"urn:example:revoke-only-if": "tuesday"}, "crit"},
		{"an unencoded payload, critical", map[string]any{
			"b64": false, "crit": []string{"b64"}}, "crit"},
		{"an unencoded payload, not critical", map[string]any{
			"b64": false}, "b64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := r.Verify(t.Context(), signed(t, key, claims, c.fields))

			var refused *Error
			if !errors.As(err, &refused) || refused.Code != CodeInvalidRequest ||
				!strings.Contains(refused.Description, c.says) {
				t.Fatalf("Verify = %v, want invalid_request naming %s",
					err, c.says)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A JWKS URL behind a token in its query string (or a password) was
// shown whole in the error of a fetch that failed, and so logged.
func TestAJWKSURLsCredentialsNeverReachAnError(t *testing.T) {
	const secret = "jwks-query-token-b2f1"
	src := "http://jwks-user:" + secret + "-pw@127.0.0.1:1/keys?access_token=" + secret
	r, err := New(t.Context(), Config{Audience: "urn:killswitch:ssf",
		Issuers: map[string]string{"https://idp/": src}}, time.Now)
	must(t, err)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	key, err := jwk.Import(priv)
	must(t, err)
	_, err = r.Verify(t.Context(), signed(t, key, setClaims(t), nil))
	if !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("err = %v, want ErrKeysUnavailable", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("the error shows the URL's credentials: %v", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1/keys") {
		t.Errorf("the error does not say which JWKS: %v", err)
	}
}

// Issuers are compared exactly, as RFC 7519 has it; an iss that differs
// from a configured one by a trailing slash alone (killswitch's own
// transmitter drops the slash of --ssf-issuer) is refused with the
// configured one named, so that the operator sees the mismatch.
func TestAnIssuerDifferingByATrailingSlashIsRefusedNamingTheConfiguredOne(t *testing.T) {
	r, key := fileReceiver(t)
	for iss, near := range map[string]bool{"https://idp": true,
		"HTTPS://IDP/": true, "https://idp.example/": false} {
		var c map[string]any
		must(t, json.Unmarshal(setClaims(t), &c))
		c["iss"] = iss
		b, err := json.Marshal(c)
		must(t, err)

		_, err = r.Verify(t.Context(), signed(t, key, b, nil))

		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidIssuer {
			t.Fatalf("iss %q: %v, want invalid_issuer", iss, err)
		}
		if got := strings.Contains(e.Description, `"https://idp/" is`); got != near {
			t.Errorf("iss %q: description %q names the configured issuer: %v, want %v",
				iss, e.Description, got, near)
		}
	}
}

// urlReceiver is a receiver of issuer https://idp/ whose JWKS is served
// by an HTTP server publishing the public halves of the keys in pub,
// counting its fetches, on the clock *now.
func urlReceiver(t *testing.T, pub *[]jwk.Key, fetches *atomic.Int64,
	now *time.Time) *Receiver {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		_ *http.Request) {
		fetches.Add(1)
		set := jwk.NewSet()
		for _, k := range *pub {
			p, err := k.PublicKey()
			must(t, err)
			must(t, set.AddKey(p))
		}
		json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	r, err := New(t.Context(), Config{Audience: "urn:killswitch:ssf",
		Issuers: map[string]string{"https://idp/": srv.URL}},
		func() time.Time { return *now })
	must(t, err)
	// The cache fetches the JWKS once of itself: let it, so as to
	// count only the receiver's fetches.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, err := r.cache.Lookup(t.Context(), srv.URL); err == nil {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatal("the JWKS cache never fetched the JWKS")
		}
		time.Sleep(time.Millisecond)
	}
}

// newKey is a new ES256 key named kid.
func newKey(t *testing.T, kid string) jwk.Key {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	k, err := jwk.Import(priv)
	must(t, err)
	must(t, k.Set(jwk.KeyIDKey, kid))
	return k
}

// A kid the JWKS lacked within a minute of the last fetch was refused
// invalid_key, and a transmitter drops a SET refused: a key rotated in
// a moment after another unknown kid (a stray SET, a premature one)
// lost every SET it signed that minute. Such a SET now waits for the
// next fetch, and is refused only when a fetch made after it arrived
// lacks its kid too.
func TestAKidNotYetFetchedWaitsForTheNextFetchRatherThanBeingRefused(t *testing.T) {
	k1, k2, k3 := newKey(t, "k1"), newKey(t, "k2"), newKey(t, "k3")
	pub := []jwk.Key{k1}
	var fetches atomic.Int64
	now := time.Now()
	r := urlReceiver(t, &pub, &fetches, &now)
	claims := setClaims(t)
	verify := func(k jwk.Key) error {
		_, err := r.Verify(t.Context(), signed(t, k, claims, nil))
		return err
	}
	must(t, verify(k1))

	// k2 is unknown: fetched once, still absent, refused.
	var e *Error
	if err := verify(k2); !errors.As(err, &e) || e.Code != CodeInvalidKey {
		t.Fatalf("a kid absent from a fresh fetch: %v, want invalid_key", err)
	}
	before := fetches.Load()
	pub = append(pub, k3)
	now = now.Add(10 * time.Second)

	err := verify(k3)
	var wait *WaitError
	if !errors.As(err, &wait) || !errors.Is(err, ErrKeysUnavailable) ||
		wait.Wait != 50*time.Second || wait.Kid != "k3" {
		t.Fatalf("k3 rotated in 10s after a fetch: %v, want to wait 50s", err)
	}
	if fetches.Load() != before {
		t.Fatal("the JWKS was fetched again within a minute")
	}
	now = now.Add(50 * time.Second)
	must(t, verify(k3))
	if fetches.Load() != before+1 {
		t.Fatalf("%d fetches for k3, want 1", fetches.Load()-before)
	}
}
