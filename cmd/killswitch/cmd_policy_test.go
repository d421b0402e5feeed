package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const (
	repoRoot       = "../.."
	shippedDir     = repoRoot + "/policies"
	caseInventory  = shippedDir + "/cases/inventory/org.yaml"
	caseAlerts     = shippedDir + "/cases/alerts"
	sharedCorpus   = repoRoot + "/../shared/corpus"
	policyCasesDir = repoRoot + "/testdata/policy-cases"
)

var tally = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed, (\d+) skipped$`)

func TestPolicyTestPassesTheShippedLibrary(t *testing.T) {
	out, code := ks(t, "policy", "test", shippedDir, "--corpus", sharedCorpus)
	m := tally.FindStringSubmatch(out)
	if code != 0 || m == nil || m[2] != "0" {
		t.Fatalf("policy test exit %d, want 0 and nothing failed:\n%s", code, out)
	}
	// 60 cases and the Rego tests.
	if passed, _ := strconv.Atoi(m[1]); passed < 60+60 {
		t.Errorf("%s passed, want at least 120 (Rego tests and 60 cases)", m[1])
	}
}

func TestPolicyTestShowsADiffForABrokenCase(t *testing.T) {
	out, code := ks(t, "policy", "test", shippedDir,
		"--cases", policyCasesDir+"/broken")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	want := "FAIL " + policyCasesDir + "/broken/broken.yaml: " +
		"A wrong expectation shows a readable diff\n" +
		"  actions differ (- want, + got):\n" +
		"    - disable_principal principal:deploy-bot rule=secret_exposure\n" +
		"    + revoke_credential credential:deploy-bot-pat rule=secret_exposure\n" +
		"      revoke_sessions credential:deploy-bot-pat scope=all rule=secret_exposure\n" +
		"  severity: want critical, got high\n"
	if !strings.Contains(out, want) {
		t.Errorf("output does not show the diff\n%s\nwant it to contain\n%s", out, want)
	}
	if !strings.Contains(out, " passed, 1 failed, 0 skipped") {
		t.Errorf("output does not count one failure:\n%s", out)
	}
}

func TestPolicyTestRejectsContractBreakingPolicies(t *testing.T) {
	out, code := ks(t, "policy", "test", shippedDir, "-v",
		"--cases", policyCasesDir+"/contract")
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	for _, note := range []string{"A policy returning {} is an error",
		"A policy returning an unknown action kind is an error",
		"A policy returning a string where the list of actions belongs is an error"} {
		if !strings.Contains(out, "PASS "+policyCasesDir+"/contract/contract.yaml: "+note) {
			t.Errorf("case %q did not pass:\n%s", note, out)
		}
	}
}

func TestPolicyTestCoverage(t *testing.T) {
	out, code := ks(t, "policy", "test", shippedDir, "--coverage", "--corpus", sharedCorpus)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	total := regexp.MustCompile(`(?m)^\s+(\d+\.\d)%\s+total$`).FindStringSubmatch(out)
	if total == nil {
		t.Fatalf("no total coverage line:\n%s", out)
	}
	if pct, _ := strconv.ParseFloat(total[1], 64); pct < 80 {
		t.Errorf("coverage %.1f%%, want at least 80%%", pct)
	}
	if !regexp.MustCompile(`(?m)^\s+\d+\.\d%\s+threat\.rego`).MatchString(out) {
		t.Errorf("no line for threat.rego:\n%s", out)
	}
}

func TestPolicyEvalExplainsACorpusAlert(t *testing.T) {
	requireSharedCorpus(t)
	out, code := ks(t, "policy", "eval", "--explain",
		"--signal", sharedCorpus+"/gitguardian/incident-triggered-generic-password.json",
		"--inventory", shippedDir+"/cases/inventory/corpus.yaml")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"Input:\n  {\n    \"signal\": {\n      \"format\": \"gitguardian\"",
		"1. revoke_credential credential:billing-db-password rule=secret_exposure",
		"touches: sessions billing-db-1",
		"Would cut: sessions billing-db-1; credentials billing-db-password",
		"Rules that fired:",
		"secret_exposure.rego:11 data.killswitch.response.secret_exposure",
		"because secret_exposure.rego:37: some c in named_credentials",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
}

func TestPolicyEvalJSON(t *testing.T) {
	out, code := ks(t, "policy", "eval", "-o", "json", "--now", "2026-12-01T12:00:00Z",
		"--signal", caseAlerts+"/cloudtrail-bob-old-key.json", "--inventory", caseInventory)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var rep struct {
		Actions []struct {
			Action struct {
				State     string `json:"state"`
				LastError string `json:"last_error"`
			} `json:"action"`
		} `json:"actions"`
		Held struct{ Credentials []string } `json:"held"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rep.Actions) != 1 || rep.Actions[0].Action.LastError != "monitor mode" ||
		len(rep.Held.Credentials) != 1 {
		t.Errorf("eval = %+v, want one action held back by monitor mode", rep)
	}
}

func TestPolicyCheck(t *testing.T) {
	if out, code := ks(t, "policy", "check", shippedDir); code != 0 ||
		!strings.Contains(out, "ok (0 warning(s))") {
		t.Fatalf("check of the shipped library: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.rego"), "package killswitch.response\n\n"+
		"default decision := {\"actions\": []}\n\nx := http.send({\"url\": \"https://example.com\"})\n")
	out, code := ks(t, "policy", "check", dir)
	want := "main.rego:5: error: rego_type_error: undefined function http.send " +
		"(not available in killswitch: policies may not make network calls)"
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("check of a policy calling http.send: exit %d, want 1 and %q:\n%s",
			code, want, out)
	}
}

func TestPolicyBacktestShowsWhatACandidateChanges(t *testing.T) {
	candidate := copyPolicies(t, func(data map[string]any) {
		modes := data["killswitch"].(map[string]any)["modes"].(map[string]any)
		modes["secret_exposure"] = "monitor"
	})
	out, code := ks(t, "policy", "backtest", "--alerts", repoRoot+"/testdata/alerts",
		"--candidate", candidate, "--inventory", repoRoot+"/testdata/inventory.yaml")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"~ " + repoRoot + "/testdata/alerts/03-github-secret-scanning-pat-created.json",
		"    in force : cuts sessions deploy-bot-ci-1, deploy-bot-ci-2; credentials deploy-bot-pat",
		"    candidate: cuts nothing",
		"(skipped: monitor mode)",
		"    - only the policy in force cuts: sessions deploy-bot-ci-1, deploy-bot-ci-2; " +
			"credentials deploy-bot-pat",
		"12 alert(s), 2 decided differently",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("backtest output lacks %q:\n%s", want, out)
		}
	}
}

// copyPolicies copies the shipped library to a temporary directory,
// letting edit change its data.json.
func copyPolicies(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	names, err := filepath.Glob(shippedDir + "/*.rego")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, filepath.Base(name)), string(b))
	}
	raw, err := os.ReadFile(shippedDir + "/data.json")
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	edit(data)
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "data.json"), string(b))
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// requireSharedCorpus skips without the corpus, except under CI=true.
func requireSharedCorpus(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(sharedCorpus); err == nil {
		return
	}
	msg := "the real alert corpus is not at " + sharedCorpus +
		" (it sits beside the repository as shared/corpus)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// "10 skipped" alone reads as nothing to worry about; without -v the
// closing lines say why cases were skipped and how to run them.
// Under CI=true the same cases fail instead, so a pipeline that lost its
// corpus does not pass on the cases it never ran; the test sets CI both
// ways because the run that checks this project sets it.
func TestPolicyTestSaysWhyCasesWereSkipped(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-corpus")
	t.Setenv("CI", "true")
	out, code := ks(t, "policy", "test", shippedDir, "--corpus", missing)
	if code != 1 || !strings.Contains(out, "signal: the shared alert corpus is not at "+missing) {
		t.Errorf("under CI=true: exit %d, want 1 with cases failed for the missing corpus:\n%s", code, out)
	}
	t.Setenv("CI", "")
	out, code = ks(t, "policy", "test", shippedDir, "--corpus", missing)
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	for _, want := range []string{
		"case(s) skipped: the shared alert corpus is not at " + missing,
		"give --corpus DIR to run them",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
}

// A directory with no alert file in it (the corpus keeps its alerts in
// subdirectories) used to replay nothing and report "0 alert(s), 0
// decided differently", which reads as a candidate that changes nothing.
func TestPolicyBacktestRefusesADirectoryWithNoAlerts(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "okta"), 0o700)
	writeFile(t, filepath.Join(dir, "okta", "a.json"), "{}")
	out, code := ks(t, "policy", "backtest", "--alerts", dir,
		"--candidate", shippedDir, "--inventory",
		repoRoot+"/testdata/inventory.yaml")
	if code != 2 || !strings.Contains(out, "--alerts: no .json alert file in "+
		dir) || !strings.Contains(out, "subdirectories are not read") {
		t.Errorf("exit %d, want 2 and the directory named:\n%s", code, out)
	}
}
