package main

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunWarnsOfAProtectedNameThatMatchesNoPrincipal starts run with a
// protected name in another case (it matches alice) and a typo: run
// starts, and warns of the typo alone before it says it is running.
func TestRunWarnsOfAProtectedNameThatMatchesNoPrincipal(t *testing.T) {
	db := importedStore(t)
	run := exec.Command(binary, "--store", db, "run", "--listen",
		"127.0.0.1:0", "--protected", "ALICE,alcie",
		"--embedded-broker-port", fmt.Sprint(freeTestPort(t)))
	stderr, err := run.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	lines := make(chan string)
	go func() {
		defer close(lines)
		for sc := bufio.NewScanner(stderr); sc.Scan(); {
			lines <- sc.Text()
		}
	}()
	var before []string
	timeout := time.After(60 * time.Second)
	for running := false; !running; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("run exited before running:\n%s",
					strings.Join(before, "\n"))
			}
			running = strings.Contains(l, "killswitch running")
			before = append(before, l)
		case <-timeout:
			t.Fatalf("run not running after 60s:\n%s",
				strings.Join(before, "\n"))
		}
	}
	run.Process.Signal(syscall.SIGTERM)
	go func() {
		for range lines {
		}
	}()
	logs := strings.Join(before, "\n")
	if !strings.Contains(logs, "level=WARN") ||
		!strings.Contains(logs, "protected=alcie") {
		t.Errorf("no warning naming alcie before running:\n%s", logs)
	}
	if strings.Contains(logs, "protected=ALICE") {
		t.Errorf("warned of ALICE, which names alice:\n%s", logs)
	}
	if err := waitExit(run, 30*time.Second); err != nil {
		t.Errorf("run did not stop on SIGTERM: %v", err)
	}
}
