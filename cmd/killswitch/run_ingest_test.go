package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
