package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
	"github.com/killswitch-dev/killswitch/store"
)

// startSilentOkta is an Okta org that accepts connections and never
// answers, as one behind a stalled proxy does. It counts the requests.
func startSilentOkta(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			<-r.Context().Done()
		}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// On SIGTERM, run gives the action in flight --shutdown-grace to finish;
// when its provider does not answer by then, run hands the action back
// to the outbox (pending, not leased to a process that is gone), says so,
// and exits 0 long before the call's own deadline.
func TestRunHandsBackWhatOutlastsTheShutdownGraceAndExitsZero(t *testing.T) {
	okta, calls := startSilentOkta(t)
	db := importedStore(t)
	config := writeConfig(t, "connectors:\n  - {name: okta, type: okta, "+
		"base_url: \""+okta.URL+"\", token: {env: OKTA_TOKEN}, "+
		"retry: {attempts: 1}, timeout: 10m}\n")
	port := strconv.Itoa(freeTestPort(t))
	run := exec.Command(binary, "--store", db, "run", "--listen", "127.0.0.1:0",
		"--config", config, "--sync-interval", "0",
		"--embedded-broker-port", port, "--shutdown-grace", "300ms")
	run.Env = append(os.Environ(), "OKTA_TOKEN=00okta-shutdown-test-token")
	logs := &logbuf.Buffer{}
	run.Stderr = logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Process.Kill() })
	waitLog(t, logs, "partitions assigned")
	mustKS(t, "send", "--kafka-brokers", "127.0.0.1:"+port,
		"../../testdata/alerts/06-risc-account-disabled-erin.json")
	deadline := time.Now().Add(60 * time.Second)
	for calls.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("okta was never called:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(run, 30*time.Second); err != nil {
		t.Fatalf("run did not exit 0 on SIGTERM: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "stopped before in-flight work finished") {
		t.Errorf("run did not say it handed work back:\n%s", logs.String())
	}
	st := openDB(t, db)
	running, err := st.ListActions(context.Background(),
		store.ActionFilter{State: store.ActionRunning})
	if err != nil || len(running) != 0 {
		t.Errorf("%d actions still leased after the exit (%v), want none",
			len(running), err)
	}
	pending, err := st.ListActions(context.Background(),
		store.ActionFilter{State: store.ActionPending})
	if err != nil || len(pending) == 0 {
		t.Errorf("no action back in the outbox (%v)", err)
	}
}

// On SIGTERM, a termination an operator asked for through the API, whose
// provider does not answer, gets --shutdown-grace and is handed back to
// the outbox, and the operator is answered with it pending before run
// exits 0, a revocation stream open meanwhile notwithstanding. run exited
// under the request, which got no answer, and left the action leased to
// a process that was gone.
func TestRunAnswersAnOperatorsTerminationInFlightOnSIGTERM(t *testing.T) {
	okta, calls := startSilentOkta(t)
	db := importedStore(t)
	secret := mintToken(t, db, "dana", "responder")
	config := writeConfig(t, "connectors:\n  - {name: okta, type: okta, "+
		"base_url: \""+okta.URL+"\", token: {env: OKTA_TOKEN}, "+
		"retry: {attempts: 1}, timeout: 10m}\n")
	run := exec.Command(binary, "--store", db, "run", "--listen", "127.0.0.1:0",
		"--config", config, "--sync-interval", "0", "--embedded-broker-port",
		strconv.Itoa(freeTestPort(t)), "--shutdown-grace", "300ms")
	run.Env = append(os.Environ(), "OKTA_TOKEN=00okta-shutdown-test-token")
	logs := &logbuf.Buffer{}
	run.Stderr = logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Process.Kill() })
	waitLog(t, logs, "partitions assigned")
	addr := regexp.MustCompile(`msg="http listening" addr=(\S+)`).
		FindStringSubmatch(logs.String())[1]
	stream, err := http.NewRequestWithContext(t.Context(), "GET",
		"http://"+addr+"/v1/revocations/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	stream.Header.Set("Authorization", "Bearer "+secret)
	if res, err := http.DefaultClient.Do(stream); err == nil {
		defer res.Body.Close()
	}
	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+addr+
			"/v1/sessions/terminate", strings.NewReader(
			`{"session_id":"alice-okta-laptop","reason":"INC-12"}`))
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		answered <- answer{res.StatusCode, string(b), err}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for calls.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("okta was never called:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(run, 30*time.Second); err != nil {
		t.Fatalf("run did not exit 0 on SIGTERM: %v\n%s", err, logs.String())
	}
	a := <-answered
	if a.err != nil || !strings.Contains(a.body, `"state":"pending"`) {
		t.Fatalf("the termination was answered %d %q (%v), want its "+
			"action pending\n%s", a.status, a.body, a.err, logs.String())
	}
	st := openDB(t, db)
	running, err := st.ListActions(context.Background(),
		store.ActionFilter{State: store.ActionRunning})
	if err != nil || len(running) != 0 {
		t.Errorf("%d actions still leased after the exit (%v), want none",
			len(running), err)
	}
}

// waitLog waits for run to log want.
func waitLog(t *testing.T, logs *logbuf.Buffer, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("run never logged %q:\n%s", want, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
