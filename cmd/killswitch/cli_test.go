package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// cliCase runs the binary with args ("DB" stands for the store path)
// and expects its exit code and words in its output.
type cliCase struct {
	name string
	args []string
	code int
	want []string
}

// importedStore is a registry with the demo inventory in it.
func importedStore(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "ks.db")
	if out, code := ks(t, "--store", db, "import", "../../testdata/inventory.yaml"); code != 0 {
		t.Fatalf("import exited %d: %s", code, out)
	}
	return db
}

func runCLICases(t *testing.T, db string, cases []cliCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.ReplaceAll(a, "DB", db)
			}
			out, code := ks(t, args...)
			if code != c.code {
				t.Errorf("exit %d, want %d: %s", code, c.code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not say %q: %s", w, out)
				}
			}
		})
	}
}

func TestCommandsRefuseAStoreThatDoesNotExist(t *testing.T) {
	db := filepath.Join(t.TempDir(), "typo.db")
	runCLICases(t, db, []cliCase{
		{"Sessions list", []string{"--store", "DB", "sessions", "list"},
			1, []string{"typo.db", "does not exist"}},
		{"Audit list", []string{"--store", "DB", "audit", "list"},
			1, []string{"typo.db", "does not exist"}},
		{"Audit verify", []string{"--store", "DB", "audit", "verify"},
			1, []string{"typo.db", "does not exist"}},
		{"Revoke", []string{"--store", "DB", "revoke", "--principal", "alice",
			"--reason", "INC-1"}, 1, []string{"typo.db", "does not exist"}},
	})
	if _, err := os.Stat(db); err == nil {
		t.Errorf("a command created %s", db)
	}
}

func TestRevokeOfWhatTheRegistryDoesNotHoldIsAnError(t *testing.T) {
	db := importedStore(t)
	before := auditLength(t, db)
	runCLICases(t, db, []cliCase{
		{"An unknown principal", []string{"--store", "DB", "revoke",
			"--principal", "nobody", "--reason", "INC-1"},
			1, []string{`principal "nobody"`, "not in the registry"}},
		{"An unknown session", []string{"--store", "DB", "revoke",
			"--session", "nosuch", "--reason", "INC-1"},
			1, []string{`session "nosuch"`, "not in the registry"}},
		{"An unknown credential", []string{"--store", "DB", "revoke",
			"--credential", "nosuch", "--reason", "INC-1"},
			1, []string{`credential "nosuch"`, "not in the registry"}},
		{"No reason", []string{"--store", "DB", "revoke", "--principal", "alice"},
			2, []string{"reason is required"}},
		{"Two targets", []string{"--store", "DB", "revoke", "--principal", "alice",
			"--session", "alice-okta-laptop", "--reason", "INC-1"},
			2, []string{"exactly one"}},
	})
	if after := auditLength(t, db); after != before {
		t.Errorf("refused revocations wrote %d audit entries", after-before)
	}
}

func auditLength(t *testing.T, db string) int {
	t.Helper()
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	entries, err := st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestCommandsReportBadUsageAndBadFiles(t *testing.T) {
	db := importedStore(t)
	dir := t.TempDir()
	notSQLite := filepath.Join(dir, "notes.db")
	os.WriteFile(notSQLite, []byte("these are not the droids\n"), 0o600)
	badInventory := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badInventory, []byte("principals:\n  - id: zed\n    kind: robot\n"), 0o600)
	badPolicies := filepath.Join(dir, "policies")
	os.Mkdir(badPolicies, 0o700)
	os.WriteFile(filepath.Join(badPolicies, "broken.rego"), []byte(
		"package killswitch.response\n\ndecision := {\"actions\": [\n"), 0o600)
	runCLICases(t, db, []cliCase{
		{"An unknown flag", []string{"--store", "DB", "sessions", "list", "--bogus"},
			2, []string{"--bogus"}},
		{"An output format that does not exist", []string{"--store", "DB",
			"sessions", "list", "-o", "yaml"}, 2, []string{`"yaml"`}},
		{"A store file that is not SQLite", []string{"--store", notSQLite,
			"sessions", "list"}, 1, []string{"notes.db", "not a database"}},
		{"An inventory with an error", []string{"--store", "DB", "import",
			badInventory}, 2, []string{"bad.yaml", "principals[0].kind"}},
		{"A policy that does not compile", []string{"--store", "DB", "run",
			"--kafka-brokers", "127.0.0.1:1", "--policies", badPolicies},
			1, []string{"broken.rego:"}},
		{"A missing argument", []string{"--store", "DB", "import"},
			2, []string{"accepts 1 arg"}},
		{"A number of days past what a duration holds", []string{"--store",
			"DB", "credentials", "list", "--exposed", "--older-than",
			"213504d"}, 2, []string{"--older-than", "213504d"}},
		{"A negative limit", []string{"--store", "DB", "sessions", "list",
			"--limit", "-1"}, 2, []string{"--limit"}},
		{"An empty broker address for send", []string{"send", "--kafka-brokers",
			"127.0.0.1:1,,", "../../testdata/alerts/01-guardduty-tor-caller-alice.json"},
			2, []string{"--kafka-brokers", "empty"}},
		{"A signing key grace shorter than a SET may wait", []string{
			"--store", "DB", "run", "--kafka-brokers", "127.0.0.1:1",
			"--listen", "127.0.0.1:0", "--ssf-issuer", "http://127.0.0.1:1",
			"--ssf-key-grace", "1h"}, 2, []string{"--ssf-key-grace", "1h"}},
		{"An empty broker address for run", []string{"--store", "DB", "run",
			"--kafka-brokers", ","}, 1, []string{"broker", "empty"}},
		{"Sending to a broker that is down", []string{"send", "--kafka-brokers",
			closedPort(t), "../../testdata/alerts/01-guardduty-tor-caller-alice.json"},
			1, []string{"connection refused"}},
	})
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestAuditVerifyOnAnEmptyStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ks.db")
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(empty, []byte("principals: []\n"), 0o600)
	if out, code := ks(t, "--store", db, "import", empty); code != 0 {
		t.Fatalf("import of an empty inventory exited %d: %s", code, out)
	}
	out, code := ks(t, "--store", db, "audit", "verify")
	if code != 0 || !strings.Contains(out, "0 entries") {
		t.Fatalf("audit verify on an empty store exited %d: %s", code, out)
	}
}

func TestRunNamesABadFlagBeforeItStartsAnything(t *testing.T) {
	db := importedStore(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := fmt.Sprint(busy.Addr().(*net.TCPAddr).Port)
	run := func(flags ...string) []string {
		return append([]string{"--store", "DB", "run", "--listen",
			"127.0.0.1:0", "--embedded-broker-port", port}, flags...)
	}
	runCLICases(t, db, []cliCase{
		{"An issuer that is no URL", run("--ssf-issuer", "ftp://x"),
			2, []string{"issuer", "ftp://x"}},
		{"A signing algorithm that is not offered", run("--ssf-issuer",
			"http://127.0.0.1:1", "--ssf-signing-alg", "HS256"),
			2, []string{"HS256"}},
		{"An issuer without a listener", []string{"--store", "DB", "run",
			"--listen", "", "--embedded-broker-port", port, "--ssf-issuer",
			"http://127.0.0.1:1"}, 2, []string{"--ssf-issuer", "--listen"}},
	})
}

// A responder reading "done" must learn that, with no connector, the
// provider still honours what the registry now holds revoked.
func TestRevokeSaysWhatWasCutAndWhereNot(t *testing.T) {
	db := importedStore(t)
	runCLICases(t, db, []cliCase{
		{"Sessions cut in the registry only are named", []string{"--store",
			"DB", "revoke", "--principal", "dave", "--reason", "INC-1"}, 0,
			[]string{"2 session(s) revoked: dave-phone, dave-laptop",
				"registry only, not at the provider", "--config"}},
		{"A second revocation says nothing was live", []string{"--store",
			"DB", "revoke", "--principal", "dave", "--reason", "INC-1"}, 0,
			[]string{"no live session to revoke"}},
		{"A credential cut in the registry only is named", []string{
			"--store", "DB", "revoke", "--credential", "deploy-bot-pat",
			"--reason", "INC-1"}, 0, []string{
			"credential deploy-bot-pat revoked",
			"not at the provider (no connector for it: give --config " +
				"with a connectors section): deploy-bot-pat"}},
	})
}

// A payload that did not decode prints its file and error only, not a
// year-1 time and empty fields that read as a decoded signal.
func TestSignalsDecodePrintsOnlyTheErrorOfABadPayload(t *testing.T) {
	bad := "../../testdata/alerts-bad/okta-published-yesterday.json"
	out, code := ks(t, "signals", "decode", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, out)
	}
	want := `{"file":"` + bad + `","error":"signal okta: published: ` +
		`not an RFC 3339 time (\"yesterday\")"}`
	if !strings.Contains(out, want) || strings.Contains(out, "0001-01-01") {
		t.Errorf("output is not just the file and error %s:\n%s", want, out)
	}
}

// A send with no broker to take it says how to get one, not only
// "connection refused".
func TestSendToNoBrokerSaysWhereOneListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	out, code := ks(t, "send", "--kafka-brokers", addr,
		"../../testdata/alerts/01-guardduty-tor-caller-alice.json")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, out)
	}
	for _, want := range []string{addr, "connection refused",
		"killswitch run", "--embedded-broker-port", "--kafka-brokers"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not say %q: %s", want, out)
		}
	}
}

// "What just happened" is the end of the trail, not its first entries.
func TestAuditListLastShowsTheNewestEntries(t *testing.T) {
	db := importedStore(t)
	for _, p := range []string{"alice", "dave"} {
		if out, code := ks(t, "--store", db, "revoke", "--principal", p,
			"--reason", "INC-"+p); code != 0 {
			t.Fatalf("revoke %s exited %d: %s", p, code, out)
		}
	}
	total := auditLength(t, db)
	out, code := ks(t, "--store", db, "audit", "list", "--last", "2",
		"-o", "json")
	var entries []store.AuditEntry
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil {
		t.Fatalf("audit list --last 2 exited %d: %s", code, out)
	}
	if len(entries) != 2 || entries[0].Seq != int64(total-1) ||
		entries[1].Seq != int64(total) {
		t.Errorf("--last 2 of %d entries listed %+v", total, entries)
	}
	runCLICases(t, db, []cliCase{
		{"With --limit", []string{"--store", "DB", "audit", "list",
			"--last", "2", "--limit", "3"}, 2, []string{"--last 2", "--limit 3"}},
		{"Negative", []string{"--store", "DB", "audit", "list",
			"--last", "-1"}, 2, []string{"--last", "-1"}},
	})
}

// TestRunSaysWhatToDoWhenItsPortIsTaken holds the embedded broker's
// port, then the listener's, as a second killswitch run would: run
// said only "bind: address already in use", which told a new user
// neither which flag moves it nor that the other commands must follow.
func TestRunSaysWhatToDoWhenItsPortIsTaken(t *testing.T) {
	db := importedStore(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	free := fmt.Sprint(freeTestPort(t))
	runCLICases(t, db, []cliCase{
		{"The embedded broker's", []string{"--store", "DB", "run",
			"--embedded-broker-port", port, "--listen", ""},
			2, []string{"address already in use", "--embedded-broker-port",
				"--kafka-brokers"}},
		{"The listener's", []string{"--store", "DB", "run",
			"--embedded-broker-port", free, "--listen", addr},
			2, []string{"address already in use", "move it with --listen",
				`--listen ""`}},
	})
}
