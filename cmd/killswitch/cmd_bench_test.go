package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchArgs are bench with tiny numbers: the test checks that the
// report adds up, not how fast anything was.
func benchArgs(extra ...string) []string {
	return append([]string{"bench", "--principals", "20", "--alerts", "50",
		"--lookup-time", "50ms", "--testdata", "../../testdata", "-o", "json"},
		extra...)
}

func TestBenchAccountsForEveryAlert(t *testing.T) {
	out, code := ks(t, benchArgs()...)
	if code != 0 {
		t.Fatalf("bench exited %d: %s", code, out)
	}
	var r benchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench -o json: %v: %s", err, out)
	}
	res := r.Result
	if res.Decided != 50 || res.DeadLettered+res.Deduplicated+res.Unprocessed != 0 {
		t.Errorf("result %+v: want all 50 alerts decided", res)
	}
	samples, _ := filepath.Glob("../../testdata/alerts/*.json")
	if r.Templates != len(samples) || len(r.Skipped) != 0 {
		t.Errorf("%d sample alerts used, skipped %v: want all %d re-targeted",
			r.Templates, r.Skipped, len(samples))
	}
	if r.Inventory.Principals != 20 || r.Inventory.Sessions == 0 {
		t.Errorf("inventory %+v: want 20 principals with sessions", r.Inventory)
	}
	checkBenchActions(t, r)
	l := r.Latency
	if !(l.P50 > 0 && l.P50 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latency %+v: want 0 < p50 <= p95 <= p99 <= max", l)
	}
	if r.Memory.PeakHeapBytes == 0 || r.Memory.AllocsPerAlert <= 0 || r.StoreBytes == 0 {
		t.Errorf("memory %+v, store %d bytes: want them measured", r.Memory, r.StoreBytes)
	}
	lk := r.Lookups
	if lk.Sessions != r.Inventory.Sessions || lk.OneGoroutine <= 0 || lk.AllCores <= 0 {
		t.Errorf("lookups %+v: want every one of the %d sessions looked up",
			lk, r.Inventory.Sessions)
	}
}

// checkBenchActions checks that the outbox was emptied and that the
// executed count is what the states say.
func checkBenchActions(t *testing.T, r benchReport) {
	t.Helper()
	a := r.Actions
	if a.ByState["pending"]+a.ByState["running"] != 0 {
		t.Errorf("actions %v: the outbox was not emptied", a.ByState)
	}
	if a.Executed == 0 || a.Executed != a.ByState["done"]+a.ByState["failed"] {
		t.Errorf("actions %+v: executed is not done + failed, or none ran", a)
	}
}

func TestBenchFailsWhenAlertsAreLost(t *testing.T) {
	dir := t.TempDir()
	bad := "package killswitch.response\n\ndecision := {\"actions\": " +
		"[{\"kind\": \"explode\", \"target\": {\"type\": \"principal\", " +
		"\"id\": \"x\"}, \"reason\": \"r\"}]}\n"
	if err := os.WriteFile(filepath.Join(dir, "bad.rego"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := ks(t, benchArgs("--policies", dir)...)
	if code != 1 || !strings.Contains(out, "50 of 50 alerts lost: 50 dead-lettered") {
		t.Errorf("bench with a policy that always errs exited %d: %s", code, out)
	}
}

func TestBenchBadInputNamesTheFlag(t *testing.T) {
	runCLICases(t, "", []cliCase{
		{"No alerts", []string{"bench", "--alerts", "0"}, 2,
			[]string{"--alerts", "0"}},
		{"Negative principals", []string{"bench", "--principals", "-5"}, 2,
			[]string{"--principals", "-5"}},
		{"An unknown output", []string{"bench", "-o", "yaml"}, 2,
			[]string{"--output", `"yaml"`}},
	})
}

// Sample alerts of a mapped format are re-targeted and decided through
// --signal-mappings; without it they cannot be decoded.
func TestBenchDecodesMappedAlertsWithSignalMappings(t *testing.T) {
	dir := t.TempDir()
	must(t, os.Mkdir(filepath.Join(dir, "alerts"), 0o700))
	for link, target := range map[string]string{
		"inventory.yaml":        "../../testdata/inventory.yaml",
		"alerts/chronicle.json": chronicleAlert} {
		abs, err := filepath.Abs(target)
		must(t, err)
		must(t, os.Symlink(abs, filepath.Join(dir, link)))
	}
	args := []string{"bench", "--principals", "20", "--alerts", "50",
		"--lookup-time", "50ms", "--testdata", dir, "-o", "json"}
	out, code := ks(t, args...)
	if code == 0 || !strings.Contains(out, "no decoder recognises") {
		t.Errorf("bench of a mapped alert without mappings: exit %d: %s",
			code, out)
	}
	out, code = ks(t, append(args, "--signal-mappings", exampleMappings)...)
	if code != 0 {
		t.Fatalf("bench with --signal-mappings exited %d: %s", code, out)
	}
	var r benchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench -o json: %v: %s", err, out)
	}
	if res := r.Result; r.Templates != 1 || res.Decided != 50 ||
		res.DeadLettered+res.Deduplicated+res.Unprocessed != 0 {
		t.Errorf("%d templates, result %+v: want the mapped alert's 50 "+
			"rewrites decided", r.Templates, res)
	}
}
