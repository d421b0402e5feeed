package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/api/setpush"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// corpusDir is the shared folder of real alert payloads.
const corpusDir = "../../shared/corpus"

// receiverAudience is the audience the tests' receiver is configured
// with.
const receiverAudience = "https://killswitch.example.com/ssf"

// requireCorpus skips without the corpus, except under CI=true.
func requireCorpus(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(corpusDir); err == nil {
		return
	}
	msg := "the real alert corpus is not at " + corpusDir +
		" (it sits beside the repository as shared/corpus)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// corpusSETs are the claims of the corpus's CAEP and RISC events, by
// file name.
func corpusSETs(t *testing.T) map[string]map[string]any {
	t.Helper()
	requireCorpus(t)
	paths, err := filepath.Glob(filepath.Join(corpusDir, "caep-risc", "*.json"))
	must(t, err)
	if len(paths) == 0 {
		t.Fatal("no CAEP or RISC events in the corpus")
	}
	out := map[string]map[string]any{}
	for _, p := range paths {
		var c map[string]any
		must(t, json.Unmarshal(readFile(t, p), &c))
		out[filepath.Base(p)] = c
	}
	return out
}

// transmitter is a SET issuer: its signing keys and a JWKS server
// publishing their public halves, one path per issuer.
type transmitter struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	// keys are the signing keys by kid; published are the kids the
	// JWKS lists.
	keys      map[string]jwk.Key
	published []string
	fetches   atomic.Int64
	down      atomic.Bool
}

func newTransmitter(t *testing.T) *transmitter {
	tx := &transmitter{t: t, keys: map[string]jwk.Key{}}
	tx.srv = httptest.NewServer(http.HandlerFunc(tx.serveJWKS))
	t.Cleanup(tx.srv.Close)
	tx.addKey("key-1", true)
	return tx
}

// addKey makes an ES256 key named kid, published in the JWKS or not.
func (tx *transmitter) addKey(kid string, publish bool) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(tx.t, err)
	k, err := jwk.Import(priv)
	must(tx.t, err)
	must(tx.t, k.Set(jwk.KeyIDKey, kid))
	must(tx.t, k.Set(jwk.AlgorithmKey, jwa.ES256()))
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.keys[kid] = k
	if publish {
		tx.published = append(tx.published, kid)
	}
}

// jwks is the public JWKS.
func (tx *transmitter) jwks() []byte {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	set := jwk.NewSet()
	for _, kid := range tx.published {
		pub, err := tx.keys[kid].PublicKey()
		must(tx.t, err)
		must(tx.t, set.AddKey(pub))
	}
	b, err := json.Marshal(set)
	must(tx.t, err)
	return b
}

func (tx *transmitter) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	tx.fetches.Add(1)
	if tx.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(tx.jwks())
}

// sign signs claims as a SET with the key kid.
func (tx *transmitter) sign(claims map[string]any, kid string) []byte {
	tx.t.Helper()
	tx.mu.Lock()
	k := tx.keys[kid]
	tx.mu.Unlock()
	return signWith(tx.t, claims, jwa.ES256(), k, "secevent+jwt")
}

func signWith(t *testing.T, claims map[string]any, alg jwa.SignatureAlgorithm,
	key any, typ string) []byte {
	t.Helper()
	payload, err := json.Marshal(claims)
	must(t, err)
	h := jws.NewHeaders()
	if typ != "" {
		must(t, h.Set(jws.TypeKey, typ))
	}
	out, err := jws.Sign(payload, jws.WithKey(alg, key,
		jws.WithProtectedHeaders(h)))
	must(t, err)
	return out
}

// stranger is an ES256 key no transmitter publishes, named kid.
func stranger(t *testing.T, kid string) jwk.Key {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	k, err := jwk.Import(priv)
	must(t, err)
	must(t, k.Set(jwk.KeyIDKey, kid))
	return k
}

// unsigned is claims as a JWS with alg none and no signature.
func unsigned(t *testing.T, claims map[string]any) []byte {
	payload, err := json.Marshal(claims)
	must(t, err)
	enc := base64.RawURLEncoding
	return []byte(enc.EncodeToString([]byte(`{"alg":"none","typ":"secevent+jwt"}`)) +
		"." + enc.EncodeToString(payload) + ".")
}

// setEnv is the API with a SET receiver accepting every issuer of the
// corpus, each from its own JWKS path of one transmitter, and the demo
// issuer's from a file.
type setEnv struct {
	*ingestEnv
	tx     *transmitter
	secret string
}

func newSETEnv(t *testing.T, issuers []string, engine bool) *setEnv {
	t.Helper()
	tx := newTransmitter(t)
	cfg := setpush.Config{Issuers: map[string]string{},
		Audience: receiverAudience}
	for i, iss := range issuers {
		cfg.Issuers[iss] = tx.srv.URL + "/jwks/" + string(rune('a'+i))
	}
	e := newIngestEnv(t, func(s *ingestSetup) {
		s.engine = engine
		rc, err := setpush.New(t.Context(), cfg, time.Now)
		must(t, err)
		s.ops.SETReceiver = rc
	})
	return &setEnv{ingestEnv: e, tx: tx,
		secret: e.token(api.Ingest, store.TokenScopes{})}
}

// push POSTs set as a SET.
func (e *setEnv) push(set []byte) response {
	e.t.Helper()
	return e.post("/v1/ssf/push", e.secret, "application/secevent+jwt", set)
}

// refused fails unless r is a 400 with that RFC 8935 error code, and
// returns its description.
func refused(t *testing.T, r response, code string) string {
	t.Helper()
	var got setpush.Error
	r.want(t, http.StatusBadRequest, &got)
	if got.Code != code || got.Description == "" {
		t.Fatalf("refused %+v, want err %s with a description", got, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q, want application/json", ct)
	}
	return got.Description
}

// issuersOf lists the iss of each set of claims.
func issuersOf(sets map[string]map[string]any) []string {
	var out []string
	for _, c := range sets {
		out = append(out, c["iss"].(string))
	}
	return out
}

// ours is claims with this receiver's audience added to its aud.
func ours(c map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	out["aud"] = []any{c["aud"], receiverAudience}
	return out
}

func TestCorpusSETsPushedSignedArePublishedAsTheirClaims(t *testing.T) {
	sets := corpusSETs(t)
	e := newSETEnv(t, issuersOf(sets), false)
	want := map[string]bool{}
	for name, c := range sets {
		claims := ours(c)
		set := e.tx.sign(claims, "key-1")

		r := e.push(set)

		if r.status != http.StatusAccepted || len(r.body) != 0 {
			t.Fatalf("%s: push = %d %s, want 202 with no body", name,
				r.status, r.body)
		}
		payload, err := jws.Verify(set, jws.WithKey(jwa.ES256(),
			e.tx.keys["key-1"]))
		must(t, err)
		want[string(payload)] = true
	}
	msgs := e.readAll(engine.DefaultAlertsTopic)
	if len(msgs) != len(sets) {
		t.Fatalf("%d alerts published, want %d", len(msgs), len(sets))
	}
	for _, m := range msgs {
		sig, err := signals.Decode(m.Value)
		if !want[string(m.Value)] || err != nil ||
			string(m.Key) != engine.PartitionKey(sig) {
			t.Errorf("published %s (key %q, %v): not the claims of a SET "+
				"pushed, keyed by its principal", m.Value, m.Key, err)
		}
	}
	if got := e.counter("killswitch_http_alerts_accepted_total",
		"format", "caep", "route", "ssf"); got != 2 {
		t.Errorf("accepted caep SETs = %v, want 2", got)
	}
}

func TestASETPushedTwiceRevokesOnce(t *testing.T) {
	claims := map[string]any{}
	must(t, json.Unmarshal(readFile(t, daveAlert), &claims))
	claims["aud"] = receiverAudience
	e := newSETEnv(t, []string{claims["iss"].(string)}, true)
	set := e.tx.sign(claims, "key-1")

	e.push(set).want(t, http.StatusAccepted, nil)
	e.push(set).want(t, http.StatusAccepted, nil)

	e.waitFor("both pushes handled and their actions done", func() bool {
		acts, err := e.st.ListActions(t.Context(), store.ActionFilter{})
		must(t, err)
		for _, a := range acts {
			if a.State != store.ActionDone {
				return false
			}
		}
		return e.handled.Load() >= 2 && len(acts) > 0
	})
	acts, err := e.st.ListActions(t.Context(), store.ActionFilter{
		Kind: "revoke_sessions"})
	must(t, err)
	if len(acts) != 1 || e.sessionStatus("dave-laptop") != store.StatusRevoked {
		t.Fatalf("revoke_sessions actions %+v, want one cutting dave-laptop",
			acts)
	}
}

func TestSETsThatMustNotBeTakenAreRefusedWithRFC8935Codes(t *testing.T) {
	sets := corpusSETs(t)
	base := sets["caep-session-revoked-session-id.json"]
	e := newSETEnv(t, issuersOf(sets), false)
	e.tx.addKey("unpublished", false)
	with := func(k string, v any) map[string]any {
		c := ours(base)
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	forged := e.tx.sign(ours(base), "unpublished")
	badSig := signWith(t, ours(base), jwa.ES256(), stranger(t, "key-1"),
		"secevent+jwt")
	oct, err := jwk.Import([]byte("a-shared-secret-of-32-bytes-long!"))
	must(t, err)
	must(t, oct.Set(jwk.KeyIDKey, "key-1"))
	now := time.Now()

	cases := []struct {
		name, code, says string
		set              []byte
	}{
		{"a signature by another key", setpush.CodeAuthenticationFailed,
			"does not verify", badSig},
		{"a kid the issuer does not publish", setpush.CodeInvalidKey,
			`kid "unpublished"`, forged},
		{"an audience that is not this receiver's", setpush.CodeInvalidAudience,
			receiverAudience, e.tx.sign(base, "key-1")},
		{"an issuer not configured", setpush.CodeInvalidIssuer,
			"https://evil.example/", e.tx.sign(with("iss", "https://evil.example/"), "key-1")},
		{"alg none", setpush.CodeAuthenticationFailed, "alg none",
			unsigned(t, ours(base))},
		{"an HMAC with a key named as the issuer's", setpush.CodeInvalidKey,
			"HS256", signWith(t, ours(base), jwa.HS256(), oct, "secevent+jwt")},
		{"iat an hour ahead", setpush.CodeInvalidRequest, "iat",
			e.tx.sign(with("iat", now.Add(time.Hour).Unix()), "key-1")},
		{"expired", setpush.CodeInvalidRequest, "exp",
			e.tx.sign(with("exp", now.Add(-time.Hour).Unix()), "key-1")},
		{"no jti", setpush.CodeInvalidRequest, "jti",
			e.tx.sign(with("jti", nil), "key-1")},
		{"no iat", setpush.CodeInvalidRequest, "iat",
			e.tx.sign(with("iat", nil), "key-1")},
		{"typed as another kind of JWT", setpush.CodeInvalidRequest, "typ",
			signWith(t, ours(base), jwa.ES256(), e.tx.keys["key-1"], "JWT")},
		{"not a JWT", setpush.CodeInvalidRequest, "compact",
			[]byte("hello, receiver")},
		{"a JWS in JSON serialization", setpush.CodeInvalidRequest, "compact",
			[]byte(`{"payload":"e30","signatures":[]}`)},
		{"over 64 KiB", setpush.CodeInvalidRequest, "65536 bytes",
			e.tx.sign(with("padding", strings.Repeat("x", 70<<10)), "key-1")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			desc := refused(t, e.push(c.set), c.code)
			if !strings.Contains(desc, c.says) {
				t.Errorf("description %q does not say %q", desc, c.says)
			}
		})
	}
	if got := len(e.readAll(engine.DefaultAlertsTopic)); got != 0 {
		t.Fatalf("%d refused SETs published", got)
	}
	if got := e.counter("killswitch_http_alerts_rejected_total",
		"reason", "invalid_request", "route", "ssf"); got != 8 {
		t.Errorf("rejected invalid_request = %v, want 8", got)
	}
}

func TestASETOfTheWrongMediaTypeOrRoleIsRefused(t *testing.T) {
	sets := corpusSETs(t)
	e := newSETEnv(t, issuersOf(sets), false)
	set := e.tx.sign(ours(sets["risc-account-disabled-hijacking.json"]), "key-1")

	desc := refused(t, e.post("/v1/ssf/push", e.secret, "application/jwt",
		set), setpush.CodeInvalidRequest)

	if !strings.Contains(desc, "application/secevent+jwt") {
		t.Errorf("description %q does not name the media type", desc)
	}
	e.post("/v1/ssf/push", e.token(api.Responder, store.TokenScopes{}),
		"application/secevent+jwt", set).
		problem(t, http.StatusForbidden, api.ProblemCodeForbidden)
	e.post("/v1/ssf/push", "", "application/secevent+jwt", set).
		problem(t, http.StatusUnauthorized, api.ProblemCodeUnauthenticated)
}

func TestVerifiedClaimsNoDecoderTakesAreRefusedAndDeadLettered(t *testing.T) {
	claims := map[string]any{"iss": "https://idp.example.com/",
		"jti": "j-1", "iat": time.Now().Unix(), "aud": receiverAudience,
		"events": map[string]any{
			"https://schemas.example.com/event-type/unheard-of": map[string]any{}}}
	e := newSETEnv(t, []string{"https://idp.example.com/"}, false)

	desc := refused(t, e.push(e.tx.sign(claims, "key-1")),
		setpush.CodeInvalidRequest)

	if !strings.Contains(desc, "no decoder recognises") {
		t.Errorf("description %q does not give the decoder's reason", desc)
	}
	dlq := e.readAll(engine.DefaultDLQTopic)
	if len(dlq) != 1 || !strings.HasPrefix(header(dlq[0], engine.HeaderSource),
		"http POST /v1/ssf/push line 1") {
		t.Fatalf("dead letters %v, want the SET's claims from /v1/ssf/push", dlq)
	}
}

func TestAKeyRotatedInIsFetchedButNotMoreThanOnceAMinute(t *testing.T) {
	sets := corpusSETs(t)
	c := ours(sets["risc-credential-compromise-password.json"])
	e := newSETEnv(t, []string{c["iss"].(string)}, false)
	e.push(e.tx.sign(c, "key-1")).want(t, http.StatusAccepted, nil)
	before := e.tx.fetches.Load()

	e.tx.addKey("key-2", true)
	e.push(e.tx.sign(c, "key-2")).want(t, http.StatusAccepted, nil)

	if e.tx.fetches.Load() != before+1 {
		t.Fatalf("JWKS fetched %d times for a new kid, want once",
			e.tx.fetches.Load()-before)
	}
	e.tx.addKey("key-3", false)
	r := e.push(e.tx.sign(c, "key-3"))
	if e.tx.fetches.Load() != before+1 {
		t.Fatal("an unknown kid fetched the JWKS again within a minute")
	}
	// Refused, the SET would be dropped by its transmitter: key-3 may be
	// rotated in before the next fetch.
	r.problem(t, http.StatusServiceUnavailable, api.ProblemCodeUnavailable)
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil ||
		secs < 1 || secs > 60 {
		t.Errorf("Retry-After %q, want the seconds until the next fetch",
			r.header.Get("Retry-After"))
	}
}

func TestAnIssuerWhoseJWKSIsDownIsUnavailableNotRefused(t *testing.T) {
	tx := newTransmitter(t)
	tx.down.Store(true)
	claims := map[string]any{}
	must(t, json.Unmarshal(readFile(t, graceAlert), &claims))
	claims["aud"] = receiverAudience
	rc, err := setpush.New(t.Context(), setpush.Config{
		Issuers:  map[string]string{claims["iss"].(string): tx.srv.URL + "/jwks"},
		Audience: receiverAudience, RefetchEvery: time.Millisecond}, time.Now)
	must(t, err)
	e := newIngestEnv(t, func(s *ingestSetup) { s.ops.SETReceiver = rc })
	secret := e.token(api.Ingest, store.TokenScopes{})
	set := tx.sign(claims, "key-1")

	r := e.post("/v1/ssf/push", secret, "application/secevent+jwt", set)

	r.problem(t, http.StatusServiceUnavailable, api.ProblemCodeUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	tx.down.Store(false)
	time.Sleep(2 * time.Millisecond)
	e.post("/v1/ssf/push", secret, "application/secevent+jwt", set).
		want(t, http.StatusAccepted, nil)
}

func TestAJWKSFromAFileVerifies(t *testing.T) {
	tx := newTransmitter(t)
	path := filepath.Join(t.TempDir(), "jwks.json")
	must(t, os.WriteFile(path, tx.jwks(), 0o600))
	claims := map[string]any{}
	must(t, json.Unmarshal(readFile(t, daveAlert), &claims))
	claims["aud"] = receiverAudience
	rc, err := setpush.New(t.Context(), setpush.Config{
		Issuers:  map[string]string{claims["iss"].(string): path},
		Audience: receiverAudience}, time.Now)
	must(t, err)
	e := newIngestEnv(t, func(s *ingestSetup) { s.ops.SETReceiver = rc })
	secret := e.token(api.Ingest, store.TokenScopes{})

	e.post("/v1/ssf/push", secret, "application/secevent+jwt",
		tx.sign(claims, "key-1")).want(t, http.StatusAccepted, nil)
	if tx.fetches.Load() != 0 {
		t.Fatal("the JWKS was fetched though it was given as a file")
	}
}

func TestASymmetricKeyAJWKSPublishesIsNeverUsed(t *testing.T) {
	secret := []byte("a-shared-secret-of-32-bytes-long!")
	oct, err := jwk.Import(secret)
	must(t, err)
	must(t, oct.Set(jwk.KeyIDKey, "shared"))
	set := jwk.NewSet()
	must(t, set.AddKey(oct))
	raw, err := json.Marshal(set)
	must(t, err)
	path := filepath.Join(t.TempDir(), "jwks.json")
	must(t, os.WriteFile(path, raw, 0o600))
	claims := map[string]any{}
	must(t, json.Unmarshal(readFile(t, daveAlert), &claims))
	claims["aud"] = receiverAudience
	rc, err := setpush.New(t.Context(), setpush.Config{
		Issuers:  map[string]string{claims["iss"].(string): path},
		Audience: receiverAudience}, time.Now)
	must(t, err)
	e := newIngestEnv(t, func(s *ingestSetup) { s.ops.SETReceiver = rc })

	r := e.post("/v1/ssf/push", e.token(api.Ingest, store.TokenScopes{}),
		"application/secevent+jwt",
		signWith(t, claims, jwa.HS256(), oct, "secevent+jwt"))

	refused(t, r, setpush.CodeInvalidKey)
}

// A transmitter answers a receiver's verification request (SSF 1.0
// section 8.1.4) with a verification event pushed like any SET, and
// tells of a stream's new status with stream-updated (8.1.5). Neither
// names a subject: both are taken, audited, and neither published nor
// dead-lettered. They were refused as invalid_request (no decoder took
// them), so a receiver could never verify its stream from killswitch.
func TestSSFStreamEventsAreTakenAndAuditedNotDecoded(t *testing.T) {
	const iss = "https://killswitch-a.example.com"
	e := newSETEnv(t, []string{iss}, false)
	events := map[string]map[string]any{
		"verification":   {"state": "VGhpcyBpcyBhIHN0YXRl"},
		"stream-updated": {"status": "paused", "reason": "maintenance"},
	}
	for name, members := range events {
		claims := map[string]any{"iss": iss, "jti": "j-" + name,
			"iat": time.Now().Unix(), "aud": receiverAudience,
			"sub_id": map[string]any{"format": "opaque", "id": "str_1"},
			"events": map[string]any{
				"https://schemas.openid.net/secevent/ssf/event-type/" + name: members}}

		r := e.push(e.tx.sign(claims, "key-1"))

		if r.status != http.StatusAccepted || len(r.body) != 0 {
			t.Fatalf("%s: push = %d %s, want 202 with no body", name, r.status, r.body)
		}
	}
	for _, topic := range []string{engine.DefaultAlertsTopic, engine.DefaultDLQTopic} {
		if got := len(e.readAll(topic)); got != 0 {
			t.Errorf("%d messages on %s, want none", got, topic)
		}
	}
	entries, err := e.st.ListAudit(t.Context(), store.AuditFilter{})
	must(t, err)
	got := map[string]string{}
	for _, a := range entries {
		if a.Event == api.EventSSFStreamEvent {
			got[a.Subject] = string(a.Details)
		}
	}
	if !strings.Contains(got["verification"], `"state":"VGhpcyBpcyBhIHN0YXRl"`) ||
		!strings.Contains(got["stream-updated"], `"status":"paused"`) ||
		!strings.Contains(got["verification"], `"iss":"`+iss+`"`) {
		t.Fatalf("audited stream events %v, want both with issuer, state and status", got)
	}
}
