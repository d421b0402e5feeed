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
