package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// TestRunHoldsWhatABudgetForbidsUntilApproved runs the engine with a
// budget of no session revocations: the alerts' revocations wait for
// approval, run says so at error level, and approving them with the CLI
// while run is running revokes alice's laptop session.
func TestRunHoldsWhatABudgetForbidsUntilApproved(t *testing.T) {
	db := importedStore(t)
	config := writeConfig(t, "guardrails:\n  budgets:\n"+
		"    - {name: no-revocations, limit: 0, window: 1h, kind: revoke_sessions}\n")
	port := freeTestPort(t)
	run := exec.Command(binary, "--store", db, "run", "--listen",
		"127.0.0.1:0", "--config", config,
		"--embedded-broker-port", fmt.Sprint(port))
	var logs bytes.Buffer
	run.Stderr = &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	broker := fmt.Sprintf("127.0.0.1:%d", port)
	waitDial(t, broker)
	files, _ := filepath.Glob("../../testdata/alerts/*.json")
	if out, code := ks(t, append([]string{"send", "--kafka-brokers", broker},
		files...)...); code != 0 {
		t.Fatalf("send exited %d: %s", code, out)
	}
	held := waitHeld(t, db)
	st := openDB(t, db)
	if revoked := sessionStatus(st, "alice-okta-laptop"); revoked != "active" {
		t.Fatalf("alice-okta-laptop is %s before any approval", revoked)
	}
	for deadline := time.Now().Add(60 * time.Second); sessionStatus(st,
		"alice-okta-laptop") != "revoked"; held = waitHeld(t, db) {
		approveAll(t, db, held)
		if time.Now().After(deadline) {
			t.Fatal("alice-okta-laptop not revoked after the approvals")
		}
		time.Sleep(300 * time.Millisecond)
	}
	waitRevoked(t, db, "alice-okta-laptop")
	run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(run, 30*time.Second); err != nil {
		t.Fatalf("run did not stop on SIGTERM: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "level=ERROR") ||
		!strings.Contains(logs.String(), "budget=no-revocations") {
		t.Errorf("run did not log the budget trip at error level:\n%s",
			logs.String())
	}
}

// approveAll approves the held actions, which must be session
// revocations.
func approveAll(t *testing.T, db string, held []store.Action) {
	t.Helper()
	for _, a := range held {
		if a.Kind != "revoke_sessions" {
			t.Errorf("held %s %s, want only revoke_sessions", a.ID, a.Kind)
		}
		if out, code := ks(t, "--store", db, "approvals", "approve", a.ID,
			"--reason", "confirmed", "--operator", "dana"); code != 0 {
			t.Fatalf("approve %s exited %d: %s", a.ID, code, out)
		}
	}
}

// waitHeld waits until some actions wait for approval, and returns
// those; once some were approved, it returns none after a while.
func waitHeld(t *testing.T, db string) []store.Action {
	t.Helper()
	for range 20 {
		out, code := ks(t, "--store", db, "approvals", "list", "-o", "json")
		var held []store.Action
		if code == 0 && json.Unmarshal([]byte(out), &held) == nil &&
			len(held) > 0 {
			return held
		}
		time.Sleep(300 * time.Millisecond)
	}
	return nil
}
