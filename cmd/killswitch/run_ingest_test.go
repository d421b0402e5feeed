package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// TestRunTakesAlertsOverHTTPAndActsOnceOnTheSameAlertTwice is the
// README's "Sending alerts over HTTP" against the real binary: a token
// made with `tokens create --role ingest` posts Dave's alert twice; both
// are accepted, the engine revokes his laptop session once and counts
// the second as a duplicate, and the token can read nothing.
func TestRunTakesAlertsOverHTTPAndActsOnceOnTheSameAlertTwice(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ks.db")
	mustKS(t, "--store", db, "import", "../../testdata/inventory.yaml")
	siem := mintToken(t, db, "siem", "ingest")
	viewer := mintToken(t, db, "ops", "viewer")
	port := freeTestPort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	run := exec.Command(binary, "--store", db, "run", "--listen",
		fmt.Sprintf("127.0.0.1:%d", port), "--embedded-broker-port",
		fmt.Sprint(freeTestPort(t)))
	var logs bytes.Buffer
	run.Stderr = &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	waitDial(t, fmt.Sprintf("127.0.0.1:%d", port))
	alert, err := os.ReadFile("../../testdata/alerts/05-caep-session-revoked-dave.json")
	if err != nil {
		t.Fatal(err)
	}

	for range 2 {
		status, body := postAlert(t, base, siem, alert)
		if status != http.StatusAccepted || !strings.Contains(body, `"dedup_key":"caep:`) {
			t.Fatalf("POST /v1/alerts = %d %s, want 202 with the dedup key", status, body)
		}
	}

	waitMetrics(t, base, &logs, `killswitch_signals_consumed_total{format="caep",result="duplicate"} 1`,
		`killswitch_http_alerts_accepted_total{format="caep",route="alerts"} 2`)
	c := apiClient{t: t, base: base, secret: viewer}
	var acts struct {
		Items []struct {
			TargetID string `json:"target_id"`
		} `json:"items"`
	}
	c.must(http.StatusOK, "GET", "/v1/actions?kind=revoke_sessions", nil, &acts)
	if len(acts.Items) != 1 || acts.Items[0].TargetID != "dave-laptop" {
		t.Fatalf("revoke_sessions actions %+v, want one on dave-laptop", acts.Items)
	}
	denied := apiClient{t: t, base: base, secret: siem}
	if got := denied.call("GET", "/v1/sessions", nil, nil); got != http.StatusForbidden {
		t.Fatalf("the ingest token read sessions: %d", got)
	}
	run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(run, 30*time.Second); err != nil {
		t.Fatalf("run did not stop on SIGTERM: %v\n%s", err, logs.String())
	}
	if strings.Contains(logs.String(), siem) {
		t.Fatal("run logged the ingest token")
	}
}

func postAlert(t *testing.T, base, secret string, alert []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/v1/alerts", bytes.NewReader(alert))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitMetrics polls /metrics until it has every one of the lines.
func waitMetrics(t *testing.T, base string, logs *bytes.Buffer, lines ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(b)
			if containsAll(last, lines) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("metrics never had %q:\n%s\nrun logged:\n%s", lines,
		grepLines(last, "killswitch_signals_consumed|killswitch_http_alerts"),
		logs.String())
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// grepLines keeps the lines of s that hold one of the |-separated words.
func grepLines(s, words string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, w := range strings.Split(words, "|") {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestRunVerifiesAndActsOnASETPushedByAConfiguredTransmitter is the
// README's receiver flags against the real binary: a SET of Dave's
// alert, signed with a key of the transmitter's JWKS, is accepted with
// 202 and no body and ends his laptop session; one signed by another key
// is refused as RFC 8935 says.
func TestRunVerifiesAndActsOnASETPushedByAConfiguredTransmitter(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := jwk.Import(priv)
	key.Set(jwk.KeyIDKey, "k1")
	pub, _ := key.PublicKey()
	set := jwk.NewSet()
	set.AddKey(pub)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(set)
	}))
	defer jwks.Close()
	db := filepath.Join(t.TempDir(), "ks.db")
	mustKS(t, "--store", db, "import", "../../testdata/inventory.yaml")
	tx := mintToken(t, db, "idp", "ingest")
	port := freeTestPort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	const aud = "https://killswitch.example.com/ssf"
	run := exec.Command(binary, "--store", db, "run", "--listen",
		fmt.Sprintf("127.0.0.1:%d", port), "--embedded-broker-port",
		fmt.Sprint(freeTestPort(t)), "--ssf-receiver-audience", aud,
		"--ssf-receiver-issuer", "https://idp.example.com/="+jwks.URL)
	var logs bytes.Buffer
	run.Stderr = &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	waitDial(t, fmt.Sprintf("127.0.0.1:%d", port))
	var claims map[string]any
	raw, _ := os.ReadFile("../../testdata/alerts/05-caep-session-revoked-dave.json")
	json.Unmarshal(raw, &claims)
	claims["aud"] = aud
	payload, _ := json.Marshal(claims)

	good, err := jws.Sign(payload, jws.WithKey(jwa.ES256(), key))
	if err != nil {
		t.Fatal(err)
	}
	if status, body := pushSET(t, base, tx, good); status != http.StatusAccepted || body != "" {
		t.Fatalf("push = %d %q, want 202 and no body", status, body)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	forged, _ := jws.Sign(payload, jws.WithKey(jwa.ES256(), other,
		jws.WithProtectedHeaders(kidHeader("k1"))))
	status, body := pushSET(t, base, tx, forged)
	if status != http.StatusBadRequest || !strings.Contains(body, `"err":"authentication_failed"`) {
		t.Fatalf("forged push = %d %s, want 400 authentication_failed", status, body)
	}

	waitMetrics(t, base, &logs, `killswitch_signals_consumed_total{format="caep",result="new"} 1`,
		`killswitch_http_alerts_rejected_total{reason="authentication_failed",route="ssf"} 1`)
	c := apiClient{t: t, base: base, secret: mintToken(t, db, "ops", "viewer")}
	var acts struct {
		Items []struct {
			TargetID string `json:"target_id"`
		} `json:"items"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(acts.Items) == 0 && time.Now().Before(deadline) {
		c.must(http.StatusOK, "GET", "/v1/actions?kind=revoke_sessions&state=done", nil, &acts)
		time.Sleep(50 * time.Millisecond)
	}
	if len(acts.Items) != 1 || acts.Items[0].TargetID != "dave-laptop" {
		t.Fatalf("revoke_sessions actions done %+v, want one on dave-laptop\n%s",
			acts.Items, logs.String())
	}
	run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(run, 30*time.Second); err != nil {
		t.Fatalf("run did not stop on SIGTERM: %v\n%s", err, logs.String())
	}
}

func kidHeader(kid string) jws.Headers {
	h := jws.NewHeaders()
	h.Set(jws.KeyIDKey, kid)
	return h
}

func pushSET(t *testing.T, base, secret string, set []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/v1/ssf/push", bytes.NewReader(set))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/secevent+jwt")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRunRefusesAReceiverHalfConfigured(t *testing.T) {
	cases := [][]string{
		{"--ssf-receiver-issuer", "https://idp.example.com/=https://idp.example.com/jwks"},
		{"--ssf-receiver-audience", "https://ks.example"},
		{"--ssf-receiver-issuer", "https://idp.example.com/", "--ssf-receiver-audience", "x"},
		{"--ingest-rate", "0"},
	}
	for _, args := range cases {
		out, code := ks(t, append([]string{"--store",
			filepath.Join(t.TempDir(), "ks.db"), "run", "--listen", ""}, args...)...)
		if code != 2 || !strings.Contains(out, args[0]) {
			t.Errorf("run %v exited %d: %s, want 2 naming the flag", args, code, out)
		}
	}
}
