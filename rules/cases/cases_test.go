package cases_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/rules/cases"
)

func TestDiffMarksMissingAndUnexpectedLines(t *testing.T) {
	got := cases.Diff([]string{"b", "a"}, []string{"a", "c"})
	want := "    a\n  - b\n  + c"
	if got != want {
		t.Errorf("Diff =\n%s\nwant\n%s", got, want)
	}
	if d := cases.Diff([]string{"x", "y"}, []string{"y", "x"}); d != "" {
		t.Errorf("Diff of the same lines in another order = %q, want none", d)
	}
}

func runner(t *testing.T, ci bool) *cases.Runner {
	t.Helper()
	ps, err := rules.Load(t.Context(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../policies/data.json")
	if err != nil {
		t.Fatal(err)
	}
	return &cases.Runner{Policies: ps, CI: ci,
		Data: map[string][]byte{"data.json": data}, CorpusDir: "/nonexistent/corpus"}
}

func TestContractBreakingPoliciesAreErrorsNotNoAction(t *testing.T) {
	files, err := cases.ReadDir("../../testdata/policy-cases/contract")
	if err != nil {
		t.Fatal(err)
	}
	results := runner(t, false).Run(context.Background(), files)
	if len(results) != 5 {
		t.Fatalf("%d results, want 5", len(results))
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("%s: %s", r.Note, r.Failure)
		}
	}
}

func TestABrokenCaseFailsWithADiff(t *testing.T) {
	files, err := cases.ReadDir("../../testdata/policy-cases/broken")
	if err != nil {
		t.Fatal(err)
	}
	r := runner(t, false).Run(context.Background(), files)[0]
	want := "actions differ (- want, + got):\n" +
		"  - disable_principal principal:deploy-bot rule=secret_exposure\n" +
		"  + revoke_credential credential:deploy-bot-pat rule=secret_exposure\n" +
		"    revoke_sessions credential:deploy-bot-pat scope=all rule=secret_exposure\n" +
		"severity: want critical, got high"
	if r.Pass || r.Failure != want {
		t.Errorf("failure =\n%s\nwant\n%s", r.Failure, want)
	}
}

func writeCases(t *testing.T, body string) []*cases.File {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "c.yaml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := cases.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestCorpusCasesSkipWithoutTheCorpusUnlessCI(t *testing.T) {
	files := writeCases(t, "cases:\n  - note: n\n    signal: corpus:okta/x.json\n")
	if r := runner(t, false).Run(context.Background(), files)[0]; r.Skip == "" {
		t.Errorf("result %+v, want a skip", r)
	}
	r := runner(t, true).Run(context.Background(), files)[0]
	if r.Pass || !strings.Contains(r.Failure, "corpus is not at /nonexistent/corpus") {
		t.Errorf("under CI result %+v, want a failure naming the corpus", r)
	}
}

func TestInlineSignalAndInventory(t *testing.T) {
	files := writeCases(t, `now: 2026-12-01T12:00:00Z
cases:
  - note: an inline CAEP event and registry
    inventory:
      principals:
        - id: ann
          kind: human
          aliases: [{type: email, value: ann@example.com}]
          sessions: [{id: ann-web, provider: okta, kind: browser, external_id: sess-1}]
    signal:
      iss: https://idp.example.com/
      jti: inline-1
      iat: 1795960800
      sub_id: {format: complex, user: {format: email, email: ann@example.com},
               session: {format: opaque, id: sess-1}}
      events:
        https://schemas.openid.net/secevent/caep/event-type/session-revoked: {}
    want:
      actions: [revoke_sessions session:ann-web rule=session_revoked]
      cut: {sessions: [ann-web]}
`)
	r := runner(t, false).Run(context.Background(), files)[0]
	if !r.Pass {
		t.Errorf("inline case failed: %s", r.Failure)
	}
}

func TestReadFileNamesTheBadCase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	os.WriteFile(path, []byte("cases:\n  - signal: a.json\n"), 0o600)
	_, err := cases.ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), "cases[0]: note: missing") {
		t.Errorf("ReadFile = %v, want the missing note named", err)
	}
}
