package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// reloadRun is `killswitch run` with --policies on a copy of the shipped
// library, its embedded broker on a free port.
type reloadRun struct {
	t      *testing.T
	dir    string
	db     string
	broker string
	logs   *logbuf.Buffer
	cmd    *exec.Cmd
}

func startReloadRun(t *testing.T) *reloadRun {
	t.Helper()
	r := &reloadRun{t: t, dir: copyPolicies(t, func(map[string]any) {}),
		logs: &logbuf.Buffer{}}
	r.db = filepath.Join(t.TempDir(), "ks.db")
	if out, code := ks(t, "--store", r.db, "import",
		repoRoot+"/testdata/inventory.yaml"); code != 0 {
		t.Fatalf("import exited %d: %s", code, out)
	}
	port := freeTestPort(t)
	r.broker = "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(binary, "--store", r.db, "run", "--listen", "127.0.0.1:0", "--policies", r.dir,
		"--embedded-broker-port", strconv.Itoa(port))
	cmd.Stderr = r.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.cmd = cmd
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r.waitLog("the engine consumes", "msg=consuming")
	return r
}

func (r *reloadRun) send(alert string) {
	r.t.Helper()
	if out, code := ks(r.t, "send", "--kafka-brokers", r.broker,
		repoRoot+"/testdata/alerts/"+alert); code != 0 {
		r.t.Fatalf("send exited %d: %s", code, out)
	}
}

func (r *reloadRun) waitLog(what, needle string) {
	r.t.Helper()
	r.waitFor(what, func() bool { return strings.Contains(r.logs.String(), needle) })
}

func (r *reloadRun) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting until %s; logs:\n%s", what, r.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hangUp sends SIGHUP and waits for the reload it causes: the set is
// still broken, so one more failure is logged.
func (r *reloadRun) hangUp() {
	r.t.Helper()
	const failed = "policy reload failed"
	time.Sleep(time.Second) // let the watcher's debounced reload finish
	before := strings.Count(r.logs.String(), failed)
	if err := r.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		r.t.Fatal(err)
	}
	r.waitFor("SIGHUP reloads", func() bool {
		return strings.Count(r.logs.String(), failed) > before
	})
}

func (r *reloadRun) open() store.Store {
	r.t.Helper()
	st, err := sqlite.Open(context.Background(), r.db)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { st.Close() })
	return st
}

// signalRevision is the policy revision recorded with the signal whose
// dedup key has the prefix, or "" before it is recorded.
func signalRevision(st store.Store, dedupPrefix string) string {
	recs, _ := st.ListSignals(context.Background(), 0)
	for _, rec := range recs {
		if strings.HasPrefix(rec.DedupKey, dedupPrefix) {
			return rec.PolicyRevision
		}
	}
	return ""
}

func sessionStatus(st store.Store, id string) string {
	s, err := st.GetSession(context.Background(), id)
	if err != nil {
		return ""
	}
	return s.Status
}

func TestRunKeepsThePolicyInForceWhileABrokenOneIsWrittenAndReloadsTheFix(t *testing.T) {
	r := startReloadRun(t)
	st := r.open()

	r.send("05-caep-session-revoked-dave.json")
	r.waitFor("dave's laptop session is revoked", func() bool {
		return sessionStatus(st, "dave-laptop") == store.StatusRevoked
	})
	first := signalRevision(st, "caep:")

	broken := filepath.Join(r.dir, "zz_broken.rego")
	writeFile(t, broken, "package killswitch.response\n\nbroken := {\n")
	r.waitLog("the broken set is refused with its file and line",
		"file=zz_broken.rego line=4")
	r.hangUp()
	r.send("06-risc-account-disabled-erin.json")
	r.waitFor("erin's session is revoked by the policy in force", func() bool {
		return sessionStatus(st, "erin-okta-web") == store.StatusRevoked
	})
	if got := signalRevision(st, "risc:"); got != first {
		t.Fatalf("erin's alert was decided by %s, want the revision in force %s", got, first)
	}

	// The data changes while the set is still broken, so that the one
	// reload that works brings both the fix and the monitor mode.
	monitor := copyPolicies(t, func(data map[string]any) {
		modes := data["killswitch"].(map[string]any)["modes"].(map[string]any)
		modes["account_compromise"] = "monitor"
	})
	data, err := os.ReadFile(filepath.Join(monitor, "data.json"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(r.dir, "data.json"), string(data))
	writeFile(t, broken, "package killswitch.response\n\nfixed := true\n")
	r.waitLog("the fixed set is reloaded", "msg=\"policies reloaded\"")

	r.send("07-risc-credential-compromise-grace.json")
	r.waitFor("grace's alert is decided", func() bool {
		recs, _ := st.ListSignals(context.Background(), 0)
		return len(recs) == 3
	})
	assertReloadAudit(t, st)
	assertMonitoredOnly(t, st, first)
}

// assertMonitoredOnly: the fixed set (account_compromise in monitor
// mode) decided grace's alert, planning actions that never ran.
func assertMonitoredOnly(t *testing.T, st store.Store, first string) {
	t.Helper()
	recs, err := st.ListSignals(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	grace := recs[0]
	if grace.PolicyRevision == first || grace.PolicyRevision == "" {
		t.Fatalf("grace's alert decided by %q, want the reloaded revision", grace.PolicyRevision)
	}
	acts, err := st.ListActions(context.Background(), store.ActionFilter{SignalID: grace.ID})
	if err != nil || len(acts) == 0 {
		t.Fatalf("grace's actions: %v, %v; want some", acts, err)
	}
	for _, a := range acts {
		if a.State != store.ActionSkipped || a.LastError != "monitor mode" {
			t.Errorf("action %s is %s (%s), want skipped in monitor mode", a.Kind, a.State, a.LastError)
		}
	}
	if s := sessionStatus(st, "grace-okta-web"); s != store.StatusActive {
		t.Errorf("grace-okta-web is %s, want active (monitor mode executes nothing)", s)
	}
}

func assertReloadAudit(t *testing.T, st store.Store) {
	t.Helper()
	entries, err := st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range entries {
		if strings.HasPrefix(e.Event, "policy.") {
			events = append(events, e.Event)
		}
	}
	if len(events) < 2 || events[0] != "policy.reload_failed" ||
		events[len(events)-1] != "policy.reloaded" {
		t.Errorf("policy audit events = %v, want reload_failed then reloaded", events)
	}
}

// A run with no connector cuts nothing at the providers; it must say so
// at start, not leave the responder to find out from a provider's logs.
func TestRunWithoutConnectorsWarnsThatItRevokesInTheRegistryOnly(t *testing.T) {
	r := startReloadRun(t)
	r.waitLog("the warning", "revocations take effect in the registry only")
	m := startMonitoredRun(t, "")
	m.waitLog("the engine consumes", "msg=consuming")
	if strings.Contains(m.logs.String(), "registry only") {
		t.Errorf("a run with an Okta connector warns of none:\n%s", m.logs)
	}
}
