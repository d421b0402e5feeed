package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// setReceiver is an RFC 8935 endpoint that verifies each SET against the
// JWKS named by the issuer's configuration and keeps its claims.
type setReceiver struct {
	issuer string
	mu     sync.Mutex
	got    []map[string]any
	errs   []string
}

func (rc *setReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c, err := rc.verify(body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil {
		rc.errs = append(rc.errs, err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, c)
	w.WriteHeader(http.StatusAccepted)
}

func (rc *setReceiver) verify(set []byte) (map[string]any, error) {
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	resp, err := http.Get(rc.issuer + "/.well-known/ssf-configuration")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
		return nil, err
	}
	kr, err := http.Get(meta.JWKSURI)
	if err != nil {
		return nil, err
	}
	defer kr.Body.Close()
	raw, _ := io.ReadAll(kr.Body)
	keys, err := jwk.Parse(raw)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(set, jws.WithKeySet(keys))
	if err != nil {
		return nil, err
	}
	var c map[string]any
	return c, json.Unmarshal(payload, &c)
}

func (rc *setReceiver) claims() ([]map[string]any, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]map[string]any(nil), rc.got...), append([]string(nil), rc.errs...)
}

func TestRunPushesARevocationAsASignedSETToARegisteredStream(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ks.db")
	if out, code := ks(t, "--store", db, "import", "../../testdata/inventory.yaml"); code != 0 {
		t.Fatalf("import exited %d: %s", code, out)
	}
	httpPort, brokerPort := freeTestPort(t), freeTestPort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	const token = "ssf-admin-SECRET-token"
	run := exec.Command(binary, "--store", db, "run",
		"--listen", fmt.Sprintf("127.0.0.1:%d", httpPort), "--ssf-issuer", issuer,
		"--embedded-broker-port", fmt.Sprint(brokerPort))
	run.Env = append(os.Environ(), "KILLSWITCH_SSF_TOKEN="+token)
	var logs bytes.Buffer
	run.Stderr = &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	waitDial(t, fmt.Sprintf("127.0.0.1:%d", httpPort))

	rc := &setReceiver{issuer: issuer}
	recv := httptest.NewServer(rc)
	defer recv.Close()
	createPushStream(t, issuer, token, recv.URL)
	alert := "../../testdata/alerts/05-caep-session-revoked-dave.json"
	if out, code := ks(t, "send", "--kafka-brokers",
		fmt.Sprintf("127.0.0.1:%d", brokerPort), alert); code != 0 {
		t.Fatalf("send exited %d: %s", code, out)
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		got, errs := rc.claims()
		if len(errs) > 0 {
			t.Fatalf("the receiver refused SETs: %v", errs)
		}
		if len(got) > 0 {
			sub, _ := got[0]["sub_id"].(map[string]any)
			session, _ := sub["session"].(map[string]any)
			if got[0]["iss"] != issuer || session["id"] != "okta-sess-dave-laptop" {
				t.Fatalf("SET = %v, want Dave's laptop session from %s", got[0], issuer)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SET arrived; run logged:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(run, 30*time.Second); err != nil {
		t.Fatalf("run did not stop on SIGTERM: %v\n%s", err, logs.String())
	}
	if strings.Contains(logs.String(), token) {
		t.Fatal("run logged the SSF token")
	}
}

func createPushStream(t *testing.T, issuer, token, endpoint string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"aud": "https://gateway.example",
		"delivery": map[string]any{"method": "urn:ietf:rfc:8935",
			"endpoint_url": endpoint},
		"events_requested": []string{
			"https://schemas.openid.net/secevent/caep/event-type/session-revoked"}})
	req, _ := http.NewRequest("POST", issuer+"/v1/ssf/streams", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("create stream = %d %s", resp.StatusCode, b)
	}
}
