package rules_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
)

// auditLog records audit entries like a store would.
type auditLog struct {
	mu      sync.Mutex
	entries []store.AuditEntry
}

func (a *auditLog) AppendAudit(_ context.Context, entries ...store.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, entries...)
	return nil
}

func (a *auditLog) events() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.entries {
		out = append(out, e.Event)
	}
	return out
}

const (
	goodPolicy  = header + `decision := {"actions": [], "severity": "low"}` + "\n"
	otherPolicy = header + `decision := {"actions": [], "severity": "high"}` + "\n"
	// brokenPolicy has a syntax error on line 4.
	brokenPolicy = header + "decision := {\"actions\": [],\n\tx := \n}\n"
)

type reloadRig struct {
	dir   string
	r     *rules.Reloader
	audit *auditLog
	reg   *prometheus.Registry
	log   *logbuf.Buffer
}

func newReloadRig(t *testing.T) *reloadRig {
	t.Helper()
	rig := &reloadRig{dir: t.TempDir(), audit: &auditLog{},
		reg: prometheus.NewRegistry(), log: &logbuf.Buffer{}}
	rig.write(t, goodPolicy)
	var err error
	rig.r, err = rules.NewReloader(t.Context(), rules.ReloaderConfig{
		Path: rig.dir, Audit: rig.audit, Registerer: rig.reg,
		Log:      slog.New(slog.NewTextHandler(rig.log, nil)),
		Debounce: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return rig
}

func (rig *reloadRig) write(t *testing.T, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(rig.dir, "main.rego"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (rig *reloadRig) severity(t *testing.T) string {
	t.Helper()
	d, err := rig.r.Evaluate(t.Context(), contractInput)
	if err != nil {
		t.Fatal(err)
	}
	return d.Severity
}

// metric reads a metric's value; label selects a counter's series.
func (rig *reloadRig) metric(t *testing.T, name, label string) float64 {
	t.Helper()
	families, err := rig.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) > 0 && m.GetLabel()[0].GetValue() != label {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func TestReloadKeepsThePolicyInForceWhenTheNewOneIsBroken(t *testing.T) {
	rig := newReloadRig(t)
	before := rig.r.Revision()
	rig.write(t, brokenPolicy)
	err := rig.r.Reload(t.Context())
	assertPolicyError(t, err, rules.CodeCompile, "main.rego", 4,
		`rego_parse_error: unexpected assign token: expected ":"`)
	if rig.r.Revision() != before || rig.severity(t) != "low" {
		t.Fatalf("revision %s, severity %s; want the old set in force", rig.r.Revision(), rig.severity(t))
	}
	if got := rig.metric(t, "killswitch_policy_reloads_total", "failure"); got != 1 {
		t.Errorf("failed reloads = %v, want 1", got)
	}
	if got := rig.metric(t, "killswitch_policy_reload_healthy", ""); got != 0 {
		t.Errorf("healthy = %v, want 0", got)
	}
	if got := rig.r.ReloadErr(); got != err {
		t.Errorf("ReloadErr = %v, want the reload's error", got)
	}
	logs := rig.log.String()
	for _, want := range []string{"level=ERROR", "file=main.rego", "line=4"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log %q lacks %q", logs, want)
		}
	}
	var details map[string]any
	if ev := rig.audit.events(); len(ev) != 1 || ev[0] != rules.EventPolicyReloadFailed {
		t.Fatalf("audit events = %v, want one %s", ev, rules.EventPolicyReloadFailed)
	}
	json.Unmarshal(rig.audit.entries[0].Details, &details)
	if details["file"] != "main.rego" || details["revision_in_force"] != before {
		t.Errorf("audit details = %v, want the file and the revision in force", details)
	}
}

func TestReloadSwapsInAFixedPolicy(t *testing.T) {
	rig := newReloadRig(t)
	before := rig.r.Revision()
	rig.write(t, brokenPolicy)
	rig.r.Reload(t.Context())
	rig.write(t, otherPolicy)
	if err := rig.r.Reload(t.Context()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if rig.r.Revision() == before || rig.severity(t) != "high" {
		t.Fatalf("revision %s, severity %s; want the new set", rig.r.Revision(), rig.severity(t))
	}
	want := []string{rules.EventPolicyReloadFailed, rules.EventPolicyReloaded}
	if ev := rig.audit.events(); strings.Join(ev, ",") != strings.Join(want, ",") {
		t.Errorf("audit events = %v, want %v", ev, want)
	}
	if got := rig.metric(t, "killswitch_policy_reload_healthy", ""); got != 1 {
		t.Errorf("healthy = %v, want 1", got)
	}
	if err := rig.r.ReloadErr(); err != nil {
		t.Errorf("ReloadErr = %v after a reload that worked, want nil", err)
	}
	if err := rig.r.Reload(t.Context()); err != nil || len(rig.audit.events()) != 2 {
		t.Errorf("reloading the same set: %v, audit %v; want nothing new", err, rig.audit.events())
	}
}

func TestWatchReloadsOnChange(t *testing.T) {
	rig := newReloadRig(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- rig.r.Watch(ctx) }()
	defer func() { cancel(); <-done }()
	waitUntil(t, "the watch starts", func() bool {
		return strings.Contains(rig.log.String(), "watching policies")
	})
	rig.write(t, brokenPolicy)
	waitUntil(t, "the broken set is refused", func() bool {
		return rig.metric(t, "killswitch_policy_reloads_total", "failure") >= 1
	})
	if rig.severity(t) != "low" {
		t.Fatal("a broken set was swapped in")
	}
	rig.write(t, otherPolicy)
	waitUntil(t, "the fixed set is in force", func() bool {
		return rig.severity(t) == "high"
	})
}

func TestReloaderNeedsAWorkingSetToStart(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.rego"), []byte(brokenPolicy), 0o600)
	_, err := rules.NewReloader(t.Context(), rules.ReloaderConfig{Path: dir})
	if !rules.IsPolicyError(err) {
		t.Errorf("NewReloader(broken) = %v, want a policy error", err)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
