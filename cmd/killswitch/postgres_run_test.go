package main

import (
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors/connectortest"
	"github.com/killswitch-dev/killswitch/store/postgres/pgtest"
)

// pgPassword is put in the registry's URL when the test server's has
// none (a server that trusts the role ignores it): it must show nowhere.
const pgPassword = "pg-secret-in-the-url"

// pgRegistry is a fresh PostgreSQL registry's URL, holding pgPassword
// unless the test server's URL has a password of its own.
func pgRegistry(t *testing.T) (string, string) {
	t.Helper()
	u, err := url.Parse(pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	if pw, ok := u.User.Password(); ok {
		return u.String(), pw
	}
	u.User = url.UserPassword(u.User.Username(), pgPassword)
	return u.String(), pgPassword
}

// TestTwoRunsOnOnePostgresRegistryActOnceOnEachAlert: the many-machines
// set-up. Two `killswitch run` processes share one PostgreSQL registry
// and one consumer group on a broker; every alert is acted on exactly
// once, the audit trail verifies, and the URL's password shows in no
// log or output.
func TestTwoRunsOnOnePostgresRegistryActOnceOnEachAlert(t *testing.T) {
	db, pw := pgRegistry(t)
	b := newBurstIn(t, db)
	st := b.open()
	var logs1, logs2 bytes.Buffer
	first, second := b.start(&logs1), b.start(&logs2)
	b.send()
	b.waitFor("every alert acted on and committed", func() bool {
		return b.settled(st)
	})
	for _, run := range []*exec.Cmd{first, second} {
		run.Process.Signal(syscall.SIGTERM)
		if err := waitExit(run, 30*time.Second); err != nil {
			t.Fatalf("run did not stop on SIGTERM: %v", err)
		}
	}
	b.assertActedOnceEach(st)

	out, code := ks(t, "--store", db, "audit", "verify")
	if code != 0 {
		t.Fatalf("audit verify exited %d: %s", code, out)
	}
	for name, text := range map[string]string{"first run's log": logs1.String(),
		"second run's log": logs2.String(), "audit verify": out} {
		if strings.Contains(text, pw) {
			t.Errorf("the %s shows the registry's password:\n%s", name, text)
		}
	}
	if !strings.Contains(logs1.String(), "xxxxx@") {
		t.Errorf("the run's log does not name the registry, redacted:\n%s",
			logs1.String())
	}
}

// TestCommandsRefuseAPostgresSchemaWithoutARegistry: a command that
// reads the registry, given a URL whose schema holds none (a mistyped
// search_path), says so and never shows the password, instead of
// reading an empty registry.
func TestCommandsRefuseAPostgresSchemaWithoutARegistry(t *testing.T) {
	db, pw := pgRegistry(t)
	out, code := ks(t, "--store", db, "sessions", "list")
	if code == 0 || !strings.Contains(out, "holds no registry") {
		t.Fatalf("sessions list on an empty schema exited %d: %s", code, out)
	}
	if strings.Contains(out, pw) {
		t.Fatalf("the error shows the password: %s", out)
	}
}

// TestAKeywordConnectionStringIsRefusedUnshown: a libpq key=value string
// given as --store was taken for an SQLite file's name, created, and
// shown in logs and errors with its password; it is refused, unshown.
func TestAKeywordConnectionStringIsRefusedUnshown(t *testing.T) {
	dir := t.TempDir()
	inventory, err := filepath.Abs("../../testdata/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dsn := "host=127.0.0.1 dbname=test password=" + pgPassword
	for _, args := range [][]string{{"sessions", "list"},
		{"import", inventory}} {
		cmd := exec.Command(binary, append([]string{"--store", dsn}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "postgres:// URL") {
			t.Fatalf("%v with a key=value --store: %v: %s", args, err, out)
		}
		if strings.Contains(string(out), pgPassword) {
			t.Fatalf("%v shows the password: %s", args, out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a file was made of the connection string: %v", entries)
	}
}

// TestTwoRunsOnOnePostgresRegistryLetOneLeadTheSweeps: of two `killswitch
// run` processes scheduling sweeps on one PostgreSQL registry, one says
// it leads and the other that it follows, once; when the leader stops,
// the follower takes over (at its next try, within 15s).
func TestTwoRunsOnOnePostgresRegistryLetOneLeadTheSweeps(t *testing.T) {
	db, _ := pgRegistry(t)
	b := newBurstIn(t, db)
	config := b.file("killswitch.yaml")
	if err := os.WriteFile(config, []byte("sweeps:\n  jobs:\n"+
		"    - {sweep: lock-hygiene, schedule: \"@hourly\"}\n"),
		0o600); err != nil {
		t.Fatal(err)
	}
	const leads, follows = "this instance leads", "this one follows"
	var runs [2]*exec.Cmd
	var logs [2]*connectortest.LogBuffer
	for i := range runs {
		logs[i] = &connectortest.LogBuffer{}
		runs[i] = exec.Command(binary, "--store", db, "run", "--listen",
			"127.0.0.1:0", "--kafka-brokers", b.broker, "--config", config)
		runs[i].Stderr = logs[i]
		if err := runs[i].Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { runs[i].Process.Kill() })
	}
	said := func(i int, what string) int {
		return strings.Count(logs[i].String(), what)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("after a minute, not %s:\n%s\n\n%s", what,
					logs[0], logs[1])
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("one run leading and the other following", func() bool {
		return said(0, leads)+said(1, leads) == 1 &&
			said(0, follows)+said(1, follows) == 1
	})
	leader, follower := 0, 1
	if said(1, leads) == 1 {
		leader, follower = 1, 0
	}
	runs[leader].Process.Signal(syscall.SIGTERM)
	if err := waitExit(runs[leader], 30*time.Second); err != nil {
		t.Fatalf("the leader did not stop on SIGTERM: %v", err)
	}
	waitFor("the follower taking over", func() bool {
		return said(follower, leads) == 1
	})
	if n := said(follower, follows); n != 1 {
		t.Errorf("the follower said %d times that it follows, want once:\n%s",
			n, logs[follower])
	}
}
