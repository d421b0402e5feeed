package propagation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/internal/logbuf"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// apiToken is the bearer token the rig's management API wants.
const apiToken = "api-SECRET-token-0123456789"

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// rig is a transmitter served on a loopback listener over a SQLite
// registry holding one principal with an email alias.
type rig struct {
	t      testing.TB
	store  store.Store
	dbPath string
	srv    *httptest.Server
	tx     *Transmitter
	pusher *Pusher
	clock  *clock
	logs   *logbuf.Buffer
}

func newRig(t testing.TB, cfg Config, push PushConfig) *rig {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "ks.db")
	st, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seed(t, st)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r := &rig{t: t, store: st, dbPath: dbPath, srv: srv, logs: &logbuf.Buffer{},
		clock: &clock{now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}}
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Issuer = srv.URL
	if r.tx, err = New(cfg, st, r.clock.Now, log); err != nil {
		t.Fatal(err)
	}
	r.tx.Mount(mux, BearerAuth(apiToken))
	if push.Backoff == 0 {
		push.Backoff = time.Second
	}
	r.pusher = NewPusher(r.tx, push)
	return r
}

// seed stores alice, with an email alias, a session and a credential.
func seed(t testing.TB, st store.Store) {
	ctx := t.Context()
	must(t, st.PutPrincipal(ctx, store.Principal{ID: "alice",
		Kind: store.KindHuman, Status: store.StatusActive}))
	must(t, st.PutAlias(ctx, store.Alias{Type: "email",
		Value: "alice@example.com", PrincipalID: "alice"}))
	must(t, st.PutCredential(ctx, store.Credential{ID: "alice-pw",
		PrincipalID: "alice", Kind: "password", Store: "okta",
		Status: store.StatusActive}))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// call makes an authenticated API call with body as JSON and returns
// the status and the body.
func (r *rig) call(method, path string, body any) (int, []byte) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(mustJSON(body))
	}
	req, err := http.NewRequestWithContext(r.t.Context(), method, r.srv.URL+path, rd)
	must(r.t, err)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	must(r.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// callOK is call that fails the test unless the status is want.
func (r *rig) callOK(want int, method, path string, body any, out any) {
	r.t.Helper()
	status, b := r.call(method, path, body)
	if status != want {
		r.t.Fatalf("%s %s = %d %s, want %d", method, path, status, b, want)
	}
	if out != nil {
		must(r.t, json.Unmarshal(b, out))
	}
}

// createStream registers a stream and returns its configuration.
func (r *rig) createStream(req map[string]any) map[string]any {
	r.t.Helper()
	var cfg map[string]any
	r.callOK(http.StatusCreated, "POST", PathStreams, req, &cfg)
	return cfg
}

// pushStream registers a push stream to rc for every supported event.
func (r *rig) pushStream(rc *receiver) string {
	r.t.Helper()
	cfg := r.createStream(map[string]any{"aud": rc.aud,
		"delivery": map[string]any{"method": store.DeliveryPush,
			"endpoint_url": rc.srv.URL + "/events", "authorization_header": rc.auth},
		"events_requested": EventsSupported})
	return cfg["stream_id"].(string)
}

// revoke publishes the revocation of alice's session s1 (provider id
// ext-s1) by a policy.
func (r *rig) revoke(id string) {
	r.t.Helper()
	must(r.t, r.tx.Publish(r.t.Context(), []engine.RevocationEvent{{
		ID: id, Type: "session", TargetID: "s1", PrincipalID: "alice",
		Provider: "okta", ExternalID: "ext-" + id, At: r.clock.Now(),
		By: "policy:stolen_laptop", Reason: "laptop stolen",
		SignalID: "sig-1", ActionID: "act-1"}}))
}

// pushAll runs the pusher until nothing is runnable now.
func (r *rig) pushAll() {
	r.t.Helper()
	for range 20 {
		n, err := r.pusher.RunOnce(r.t.Context())
		must(r.t, err)
		if n == 0 {
			return
		}
	}
	r.t.Fatal("the pusher kept finding work")
}

func (r *rig) deliveries(stream, state string) []store.Delivery {
	r.t.Helper()
	ds, err := r.store.ListDeliveries(r.t.Context(),
		store.DeliveryFilter{StreamID: stream, State: state})
	must(r.t, err)
	return ds
}

// receiver is an RFC 8935 push endpoint: it checks the authorization
// header, fetches the transmitter's JWKS and verifies each SET's
// signature, typ, iss and aud before it answers 202, or answers with the
// statuses scripted first.
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	issuer string
	aud    string
	auth   string
	mu     sync.Mutex
	script []int
	hits   int
	// skipVerify accepts every SET unchecked, for benchmarks.
	skipVerify bool
	got        []verified
	errs       []error
}

// verified is one SET that passed the receiver's checks.
type verified struct {
	kid    string
	claims map[string]any
}

func newReceiver(t testing.TB, issuer, aud string, script ...int) *receiver {
	rc := &receiver{t: t, issuer: issuer, aud: aud, script: script,
		auth: "Bearer receiver-SECRET-" + aud}
	rc.srv = httptest.NewServer(rc)
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.hits++
	if len(rc.script) > 0 {
		status := rc.script[0]
		rc.script = rc.script[1:]
		w.WriteHeader(status)
		return
	}
	if r.Header.Get("Authorization") != rc.auth ||
		r.Header.Get("Content-Type") != SETMediaType {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if rc.skipVerify {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	v, err := rc.verify(body)
	if err != nil {
		rc.errs = append(rc.errs, err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"err":"invalid_key","description":%q}`, err.Error())
		return
	}
	rc.got = append(rc.got, v)
	w.WriteHeader(http.StatusAccepted)
}

// verify checks a SET as a receiver must, against the JWKS it fetches
// from the issuer's configuration.
func (rc *receiver) verify(set []byte) (verified, error) {
	keys, err := fetchJWKS(rc.issuer)
	if err != nil {
		return verified{}, err
	}
	payload, err := jws.Verify(set, jws.WithKeySet(keys))
	if err != nil {
		return verified{}, fmt.Errorf("signature: %w", err)
	}
	msg, err := jws.Parse(set)
	if err != nil {
		return verified{}, err
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	typ, _ := h.Type()
	kid, _ := h.KeyID()
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		return verified{}, err
	}
	switch {
	case typ != "secevent+jwt":
		return verified{}, fmt.Errorf("typ %q", typ)
	case c["iss"] != rc.issuer:
		return verified{}, fmt.Errorf("iss %v, want %s", c["iss"], rc.issuer)
	case c["aud"] != rc.aud:
		return verified{}, fmt.Errorf("aud %v, want %s", c["aud"], rc.aud)
	}
	return verified{kid: kid, claims: c}, nil
}

// fetchJWKS discovers the jwks_uri from the issuer's configuration and
// fetches the key set, as a receiver does.
func fetchJWKS(issuer string) (jwk.Set, error) {
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(issuer+PathConfiguration, &meta); err != nil {
		return nil, err
	}
	resp, err := http.Get(meta.JWKSURI)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return jwk.Parse(b)
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func (rc *receiver) received() []verified {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.errs) > 0 {
		rc.t.Fatalf("receiver refused SETs: %v", rc.errs)
	}
	return append([]verified(nil), rc.got...)
}

// event returns the one event of a SET: its type and members.
func event(t *testing.T, c map[string]any) (string, map[string]any) {
	t.Helper()
	evs, _ := c["events"].(map[string]any)
	if len(evs) != 1 {
		t.Fatalf("events = %v, want exactly one", c["events"])
	}
	for k, v := range evs {
		m, _ := v.(map[string]any)
		return k, m
	}
	return "", nil
}
