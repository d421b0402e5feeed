package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// kcatRaw publishes input with kcat as it is, one message per line;
// args add kcat flags (-K splits key and value, -Z sends an empty one as
// NULL).
func kcatRaw(t *testing.T, kcat, broker, input string, args ...string) {
	t.Helper()
	cmd := exec.Command(kcat, append([]string{"-P", "-b", broker,
		"-t", "security.alerts"}, args...)...)
	cmd.Stdin = strings.NewReader(input)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat produce: %v\n%s", err, out)
	}
}

// kcatHeaders reads every message of a topic with kcat and returns their
// headers, one line per message.
func kcatHeaders(t *testing.T, kcat, broker, topic string) []string {
	t.Helper()
	out, err := exec.Command(kcat, "-C", "-b", broker, "-t", topic, "-e",
		"-q", "-f", "%h\n").Output()
	if err != nil {
		t.Fatalf("kcat consume %s: %v", topic, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// The consumer must dead-letter what kcat can send that no SIEM should (a
// NULL value with no key, binary garbage), and go on to the next alert.
func TestRunDeadLettersNullAndGarbageSentByKcat(t *testing.T) {
	kcat := requireTool(t, "kcat", "apt-get install kcat")
	db := filepath.Join(t.TempDir(), "ks.db")
	if out, code := ks(t, "--store", db, "import", "../../testdata/inventory.yaml"); code != 0 {
		t.Fatalf("import exited %d: %s", code, out)
	}
	port := freeTestPort(t)
	run := exec.Command(binary, "--store", db, "run", "--listen", "127.0.0.1:0",
		"--embedded-broker-port", fmt.Sprint(port), "--embedded-partitions", "1")
	var logs bytes.Buffer
	run.Stderr = &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	broker := fmt.Sprintf("127.0.0.1:%d", port)
	waitDial(t, broker)

	kcatRaw(t, kcat, broker, ":\n", "-K", ":", "-Z")
	kcatRaw(t, kcat, broker, "k:\x01\x02\xfe\xff{]\n", "-K", ":")
	kcatProduce(t, kcat, broker, "grace",
		"../../testdata/alerts/07-risc-credential-compromise-grace.json")
	waitRevoked(t, db, "grace-okta-web")
	headers := waitDLQ(t, kcat, broker, 2)

	all := strings.Join(headers, "\n")
	for _, want := range []string{"killswitch-error=payload is not a JSON " +
		"object: empty payload", "killswitch-error=payload is not a JSON " +
		"object: invalid character"} {
		if !strings.Contains(all, want) {
			t.Errorf("no DLQ message says %q; headers:\n%s", want, all)
		}
	}
	run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(run, 30*time.Second); err != nil {
		t.Fatalf("run did not stop on SIGTERM: %v\n%s", err, logs.String())
	}
}

// waitDLQ waits until the DLQ holds n messages and returns their headers
// in offset order.
func waitDLQ(t *testing.T, kcat, broker string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		headers := kcatHeaders(t, kcat, broker, "security.alerts.dlq")
		if len(headers) >= n && headers[0] != "" {
			return headers
		}
		if time.Now().After(deadline) {
			t.Fatalf("DLQ holds %d messages, want %d", len(headers), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
