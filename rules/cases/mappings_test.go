package cases_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/rules/cases"
	"github.com/killswitch-dev/killswitch/signals"
)

const (
	sampleMappings = "../../testdata/mappings/mappings.yaml"
	chronicleAlice = "../../testdata/mappings/alerts/chronicle-rule-detection-alice.json"
)

// mappedCases writes a case file holding the sample Chronicle alert,
// with head (signal_mappings or nothing) at its top.
func mappedCases(t *testing.T, head string) string {
	t.Helper()
	alert, err := filepath.Abs(chronicleAlice)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "mapped.yaml")
	body := head + `now: 2026-12-01T12:00:00Z
inventory:
  principals:
    - {id: alice, kind: human, aliases: [{type: email, value: alice@example.com}]}
cases:
  - note: a Chronicle detection about alice
    signal: ` + alert + `
    want:
      actions: [revoke_sessions principal:alice scope=all rule=siem_incident]
      requires_approval: true
`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runOne(t *testing.T, r *cases.Runner, path string) cases.Result {
	t.Helper()
	f, err := cases.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return r.Run(context.Background(), []*cases.File{f})[0]
}

func loadSample(t *testing.T) *signals.Mappings {
	t.Helper()
	m, err := signals.LoadMappings(sampleMappings)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAMappedAlertWithoutMappingsSaysWhereToGiveThem(t *testing.T) {
	path := mappedCases(t, "")
	r := runOne(t, runner(t, false), path)
	for _, want := range []string{signals.ErrUnknownFormat.Error(),
		`add "signal_mappings: FILE"`, path, "--signal-mappings FILE"} {
		if r.Pass || !strings.Contains(r.Failure, want) {
			t.Errorf("failure = %q, want it to contain %q", r.Failure, want)
		}
	}
}

func TestTheRunnersMappingsDecodeAMappedAlert(t *testing.T) {
	r := runner(t, false)
	r.Mappings = loadSample(t)
	if res := runOne(t, r, mappedCases(t, "")); !res.Pass {
		t.Errorf("case failed: %s", res.Failure)
	}
}

func TestACaseFilesMappingsAreReadBesideItAndBeatTheRunners(t *testing.T) {
	abs, err := filepath.Abs(sampleMappings)
	if err != nil {
		t.Fatal(err)
	}
	path := mappedCases(t, "signal_mappings: sample.yaml\n")
	if err := os.Symlink(abs, filepath.Join(filepath.Dir(path), "sample.yaml")); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.yaml")
	os.WriteFile(other, []byte("mappings:\n  - name: other\n"+
		"    match: {kind: {equals: x}}\n    time: {path: t, layout: rfc3339}\n"+
		"    severity: high\n    category: threat\n    type: x\n    summary: x\n"+
		"    subjects: [{path: user, type: login, role: actor}]\n"), 0o600)
	r := runner(t, false)
	if r.Mappings, err = signals.LoadMappings(other); err != nil {
		t.Fatal(err)
	}
	if res := runOne(t, r, path); !res.Pass {
		t.Errorf("case failed: %s", res.Failure)
	}
}

func TestAnAlertNoMappingMatchesNamesTheMappingFile(t *testing.T) {
	r := runner(t, false)
	r.Mappings = loadSample(t)
	files := writeCases(t, "cases:\n  - note: n\n    signal: {vendor: nobody}\n")
	res := r.Run(context.Background(), files)[0]
	want := "nor does any mapping of " + sampleMappings
	if res.Pass || !strings.Contains(res.Failure, want) {
		t.Errorf("failure = %q, want it to contain %q", res.Failure, want)
	}
}

func TestABrokenSignalMappingsFileFailsTheCaseFile(t *testing.T) {
	path := mappedCases(t, "signal_mappings: missing.yaml\n")
	_, err := cases.ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path+": signal_mappings: ") ||
		!strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("ReadFile = %v, want signal_mappings and the file named", err)
	}
}
