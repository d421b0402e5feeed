package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// binary is the killswitch binary built once for the acceptance tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "killswitch-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "killswitch")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build killswitch: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireTool skips without a third-party tool, except under CI=true.
func requireTool(t *testing.T, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s is not installed (%s)", name, install)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// ks runs the binary to completion and returns stdout and the exit code.
// A command that has not ended after two minutes is killed and fails the
// test: it hangs.
func ks(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("killswitch %v hangs: %s%s", args, out.String(), errOut.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("killswitch %v: %v", args, err)
	}
	return out.String() + errOut.String(), code
}

func freeTestPort(t *testing.T) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func waitDial(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kcatProduce publishes one file as one message with kcat, a Kafka client
// that is not ours.
func kcatProduce(t *testing.T, kcat, broker, key, file string) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		compact.Write(bytes.ReplaceAll(raw, []byte("\n"), nil))
	}
	cmd := exec.Command(kcat, "-P", "-b", broker, "-t", "security.alerts", "-k", key)
	cmd.Stdin = &compact
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat produce %s: %v\n%s", file, err, out)
	}
}

func TestRunConsumesAlertsPublishedByKcat(t *testing.T) {
	kcat := requireTool(t, "kcat", "apt-get install kcat")
	db := filepath.Join(t.TempDir(), "ks.db")
	if out, code := ks(t, "--store", db, "import", "../../testdata/inventory.yaml"); code != 0 {
		t.Fatalf("import exited %d: %s", code, out)
	}
	port := freeTestPort(t)
	run := exec.Command(binary, "--store", db, "run", "--listen", "127.0.0.1:0",
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
	for _, f := range files {
		kcatProduce(t, kcat, broker, filepath.Base(f), f)
	}
	waitRevoked(t, db, "alice-okta-laptop", "deploy-bot-ci-1", "erin-vpn")

	run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(run, 30*time.Second); err != nil {
		t.Fatalf("run did not stop cleanly on SIGTERM: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "level=WARN") ||
		!strings.Contains(logs.String(), "memory only") {
		t.Errorf("run did not warn that the embedded broker keeps alerts in memory only:\n%s",
			logs.String())
	}
	out, _ := ks(t, "--store", db, "sessions", "list", "--status", "active", "-o", "json")
	if !strings.Contains(out, "breakglass-aws-console") {
		t.Errorf("the break-glass session was revoked; active sessions:\n%s", out)
	}
}

func waitRevoked(t *testing.T, db string, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, code := ks(t, "--store", db, "sessions", "list", "--status", "revoked", "-o", "json")
		var got []struct{ ID string }
		if code == 0 && json.Unmarshal([]byte(out), &got) == nil {
			n := 0
			for _, s := range got {
				if slices.Contains(ids, s.ID) {
					n++
				}
			}
			if n == len(ids) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions %v not all revoked; revoked now:\n%s", ids, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func waitExit(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		return fmt.Errorf("still running after %s", d)
	}
}

func TestAuditVerifyDetectsAnEditedEntry(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ks.db")
	ks(t, "--store", db, "import", "../../testdata/inventory.yaml")
	for _, target := range []string{"alice", "frank", "dave"} {
		out, code := ks(t, "--store", db, "revoke", "--principal", target,
			"--reason", "incident INC-1", "--operator", "tester")
		if code != 0 {
			t.Fatalf("revoke %s exited %d: %s", target, code, out)
		}
	}
	if out, code := ks(t, "--store", db, "audit", "verify"); code != 0 {
		t.Fatalf("audit verify on an untouched trail exited %d: %s", code, out)
	}
	tamper(t, db, 3)
	out, code := ks(t, "--store", db, "audit", "verify")
	if code != 1 || !strings.Contains(out, "audit entry 3") {
		t.Fatalf("audit verify after editing entry 3 exited %d: %s", code, out)
	}
}

// tamper edits one audit entry behind the store's back, as someone with
// write access to the database file could: dropping the append-only
// trigger first.
func tamper(t *testing.T, path string, seq int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `DROP TRIGGER audit_no_update`); err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx,
		`UPDATE audit SET details = '{"reason":"nothing to see"}' WHERE seq = ?`, seq)
	if err != nil {
		t.Fatal(err)
	}
}
