package main

import (
	"context"
	"database/sql"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
)

// A responder reads "broken after N good entries" as "the first N
// entries can be trusted"; the count must be of the whole chain, not of
// the pages read before the bad one.
func TestAuditVerifyCountsTheGoodEntriesBeforeTheBrokenOne(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ks.db")
	ks(t, "--store", db, "import", "../../testdata/inventory.yaml")
	for _, target := range []string{"alice", "frank"} {
		out, code := ks(t, "--store", db, "revoke", "--principal", target,
			"--reason", "incident INC-1", "--operator", "tester")
		if code != 0 {
			t.Fatalf("revoke %s exited %d: %s", target, code, out)
		}
	}
	tamper(t, db, 3)
	out, code := ks(t, "--store", db, "audit", "verify")
	if code != 1 || !strings.Contains(out, "after 2 good entries") {
		t.Fatalf("audit verify after editing entry 3 exited %d: %s", code, out)
	}
}

// Whoever can write the registry can delete the newest audit entries
// and leave a chain that verifies: a deleted tail was reported intact.
// run logs the head; given back with --head, verify proves the entries
// up to it are all there, and says so when they are not.
func TestAuditVerifyWithALoggedHeadFindsADeletedTail(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ks.db")
	ks(t, "--store", db, "import", "../../testdata/inventory.yaml")
	for _, target := range []string{"alice", "frank"} {
		if out, code := ks(t, "--store", db, "revoke", "--principal", target,
			"--reason", "incident INC-1", "--operator", "tester"); code != 0 {
			t.Fatalf("revoke %s exited %d: %s", target, code, out)
		}
	}
	run := exec.Command(binary, "--store", db, "run", "--listen", "",
		"--sync-interval", "0", "--audit-head-every", "1h",
		"--embedded-broker-port", fmt.Sprint(freeTestPort(t)))
	logs := &logbuf.Buffer{}
	run.Stderr = logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, "killswitch running")
	_ = run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(run, 30*time.Second); err != nil {
		_ = run.Process.Kill()
		t.Fatalf("run did not stop on SIGTERM: %v", err)
	}
	m := regexp.MustCompile(`msg="audit head" seq=(\d+) hash=([0-9a-f]{64})`).
		FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("run logged no audit head:\n%s", logs.String())
	}
	head := m[1] + ":" + m[2]

	out, code := ks(t, "--store", db, "audit", "verify", "--head", head)
	if code != 0 || !strings.Contains(out, "head: "+head) {
		t.Fatalf("audit verify --head %s on an untouched trail exited %d: %s", head, code, out)
	}

	removeAuditAfter(t, db, 2)
	out, code = ks(t, "--store", db, "audit", "verify")
	if code != 0 {
		t.Fatalf("audit verify without a head exited %d: %s", code, out)
	}
	out, code = ks(t, "--store", db, "audit", "verify", "--head", head)
	if code != 1 || !strings.Contains(out, "removed from its end") {
		t.Fatalf("audit verify --head after the tail was deleted exited %d: %s", code, out)
	}

	// New entries after the deletion take the deleted ones' numbers; the
	// chain verifies, the head's hash does not match.
	for _, target := range []string{"dave", "erin", "grace", "alice", "frank"} {
		ks(t, "--store", db, "revoke", "--principal", target,
			"--reason", "incident INC-2", "--operator", "tester")
	}
	out, code = ks(t, "--store", db, "audit", "verify", "--head", head)
	if code != 1 || !strings.Contains(out, "rewritten up to here") {
		t.Fatalf("audit verify --head after the tail was replaced exited %d: %s", code, out)
	}
}

func TestAuditVerifyRefusesAMalformedHead(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ks.db")
	ks(t, "--store", db, "import", "../../testdata/inventory.yaml")
	for _, bad := range []string{"12", "x:" + strings.Repeat("a", 64),
		"0:" + strings.Repeat("a", 64), "3:abc", "3:" + strings.Repeat("z", 64)} {
		out, code := ks(t, "--store", db, "audit", "verify", "--head", bad)
		if code != 2 || !strings.Contains(out, "--head") {
			t.Errorf("audit verify --head %q exited %d: %s", bad, code, out)
		}
	}
}

// removeAuditAfter deletes the audit entries after seq, as someone who
// can write the file could.
func removeAuditAfter(t *testing.T, path string, seq int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `DROP TRIGGER audit_no_delete`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM audit WHERE seq > ?`, seq); err != nil {
		t.Fatal(err)
	}
}
