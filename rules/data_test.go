package rules_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/killswitch-dev/killswitch/rules"
)

// thresholdPolicy revokes p-1's sessions when the signal's severity is in
// data.killswitch.lists.severe, and says which rule did it.
const thresholdPolicy = header + `default decision := {"actions": []}

decision := {"actions": [{"kind": "revoke_sessions", "rule": "severe",
	"target": {"type": "principal", "id": "p-1"}, "reason": "severe"}]} if {
	input.signal.severity in data.killswitch.lists.severe
}
`

func TestDataDocumentsReachThePolicies(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		actions int
	}{
		{"A root data.json names its top-level keys",
			map[string]string{"data.json": `{"killswitch": {"lists": {"severe": ["high"]}}}`}, 1},
		{"A data.yaml in killswitch/lists sits at data.killswitch.lists",
			map[string]string{"killswitch/lists/data.yaml": "severe: [high, critical]\n"}, 1},
		{"Two files merge",
			map[string]string{
				"data.json":                  `{"killswitch": {"thresholds": {"days": 7}}}`,
				"killswitch/lists/data.json": `{"severe": ["high"]}`}, 1},
		{"Without data nothing is severe",
			map[string]string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.files["main.rego"] = thresholdPolicy
			ps, err := rules.Load(t.Context(), mapFS(tt.files))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			d, err := ps.Evaluate(t.Context(), contractInput)
			if err != nil || len(d.Actions) != tt.actions {
				t.Fatalf("Evaluate = %+v, %v; want %d actions", d, err, tt.actions)
			}
		})
	}
}

// A data file's fault names its line, as a policy's does: a broken
// data.json dropped into a watched directory named the file only.
func TestLoadRejectsBadDataDocuments(t *testing.T) {
	tests := []struct {
		name, file, data string
		row              int
		message          string
	}{
		{"A data file cut short", "data.json", "{\"killswitch\": {\n  \"a\": 1,\n",
			2, "not valid JSON: unexpected EOF"},
		{"A data file with a stray comma", "data.json",
			"\n{\"killswitch\": {\n  \"a\": 1,\n}}\n", 4,
			"not valid JSON: invalid character '}' looking for beginning of object key string"},
		{"A YAML data file that does not parse", "killswitch/data.yaml",
			"lists:\n  severe: [high\nmodes: {}\n", 2,
			"not valid YAML: yaml: line 2: did not find expected ',' or ']'"},
		{"A data file that is not an object", "killswitch/data.json", `[1]`,
			0, "want an object at the top, got array"},
		{"A mode that is neither enforce nor monitor", "data.json",
			"{\"killswitch\": {\n  \"modes\": {\n    \"severe\": \"audit\"}}}",
			3, `data.killswitch.modes.severe: "audit" is not a mode ` +
				`(want "enforce" or "monitor")`},
		{"Modes that are not an object", "data.yaml",
			"killswitch:\n  modes: [severe]\n", 2,
			"data.killswitch.modes: want an object of rule name to mode, got array"},
		{"Modes in a data file below the root", "killswitch/data.yaml",
			"lists: {}\nmodes:\n  severe: audit\n", 3,
			`data.killswitch.modes.severe: "audit" is not a mode ` +
				`(want "enforce" or "monitor")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rules.Load(t.Context(), mapFS(map[string]string{
				"main.rego": thresholdPolicy, tt.file: tt.data}))
			assertPolicyError(t, err, rules.CodeCompile, tt.file, tt.row, tt.message)
		})
	}
}

func TestLoadRejectsConflictingDataDocuments(t *testing.T) {
	_, err := rules.Load(t.Context(), mapFS(map[string]string{
		"main.rego":                  thresholdPolicy,
		"data.json":                  `{"killswitch": {"lists": {"severe": ["low"]}}}`,
		"killswitch/lists/data.yaml": "# the severe list\nsevere: [high]\n",
	}))
	assertPolicyError(t, err, rules.CodeCompile, "killswitch/lists/data.yaml", 2,
		"data.killswitch.lists.severe is set by data.json too")
}

func TestMonitorModeMarksTheRulesActions(t *testing.T) {
	files := map[string]string{"main.rego": thresholdPolicy,
		"data.json": `{"killswitch": {"lists": {"severe": ["high"]},
			"modes": {"severe": "monitor", "other": "enforce"}}}`}
	ps, err := rules.Load(t.Context(), mapFS(files))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	d, err := ps.Evaluate(t.Context(), contractInput)
	if err != nil || len(d.Actions) != 1 || d.Actions[0].Mode != rules.ModeMonitor {
		t.Fatalf("Evaluate = %+v, %v; want one monitor action", d, err)
	}
	if ps.Mode("severe") != rules.ModeMonitor || ps.Mode("other") != rules.ModeEnforce ||
		ps.Mode("unnamed") != rules.ModeEnforce {
		t.Errorf("Mode() = %s, %s, %s; want monitor, enforce, enforce",
			ps.Mode("severe"), ps.Mode("other"), ps.Mode("unnamed"))
	}
}

func TestRevisionCountsDataDocuments(t *testing.T) {
	a := revisionOf(t, map[string]string{"main.rego": thresholdPolicy,
		"data.json": `{"killswitch": {"lists": {"severe": ["high"]}}}`})
	b := revisionOf(t, map[string]string{"main.rego": thresholdPolicy,
		"data.json": `{"killswitch": {"lists": {"severe": ["critical"]}}}`})
	if a == b {
		t.Errorf("changing data.json kept revision %s", a)
	}
}

const sweepPolicy = `package killswitch.sweep

default decision := {"actions": []}

decision := {"actions": [{"kind": "notify", "rule": "sweep",
	"target": {"type": "principal", "id": "p-1"}, "reason": "swept"}]} if {
	count(input.credentials) > 0
}
`

func TestEvaluateSweep(t *testing.T) {
	ps, err := rules.Load(t.Context(), mapFS(map[string]string{
		"main.rego": thresholdPolicy, "sweep.rego": sweepPolicy}))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	d, err := ps.EvaluateSweep(t.Context(), contractInput)
	if err != nil || len(d.Actions) != 1 || d.Actions[0].Reason != "swept" {
		t.Fatalf("EvaluateSweep = %+v, %v; want the sweep's notify", d, err)
	}
	if !ps.HasSweep() {
		t.Error("HasSweep() = false")
	}
	noSweep := loadMain(t, `decision := {"actions": []}`)
	_, err = noSweep.EvaluateSweep(t.Context(), contractInput)
	assertPolicyError(t, err, rules.CodeUndefined, "", 0,
		"no rule defines data.killswitch.sweep.decision")
}

func TestSweepDecisionFollowsTheContract(t *testing.T) {
	ps, err := rules.Load(t.Context(), mapFS(map[string]string{
		"main.rego":  thresholdPolicy,
		"sweep.rego": "package killswitch.sweep\n\ndecision := {}\n"}))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	_, err = ps.EvaluateSweep(t.Context(), contractInput)
	assertPolicyError(t, err, rules.CodeInvalid, "sweep.rego", 3,
		`decision: missing key "actions" (a decision to do nothing is {"actions": []})`)
}

func TestLoadBundle(t *testing.T) {
	files := map[string]string{
		"/main.rego":                  thresholdPolicy,
		"/main_test.rego":             "not even Rego",
		"/killswitch/lists/data.json": `{"severe": ["high"]}`,
		"/.manifest":                  `{"roots": ["killswitch"]}`,
		"/notes.md":                   "ignored",
	}
	path := writeBundle(t, files)
	ps, err := rules.LoadPath(t.Context(), path)
	if err != nil {
		t.Fatalf("LoadPath(bundle): %v", err)
	}
	d, err := ps.Evaluate(t.Context(), contractInput)
	if err != nil || len(d.Actions) != 1 {
		t.Fatalf("Evaluate = %+v, %v; want data from the bundle to apply", d, err)
	}
	want := []string{"killswitch/lists/data.json", "main.rego"}
	if !slices.Equal(ps.Files(), want) {
		t.Errorf("Files() = %v, want %v", ps.Files(), want)
	}
	same := revisionOf(t, map[string]string{"main.rego": thresholdPolicy,
		"killswitch/lists/data.json": `{"severe": ["high"]}`})
	if ps.Revision() != same {
		t.Errorf("bundle revision %s differs from the directory's %s", ps.Revision(), same)
	}
}

func TestLoadBundleRejectsWhatIsNotABundle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policies.tar.gz")
	if err := os.WriteFile(path, []byte("plain text"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := rules.LoadBundle(t.Context(), path)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("not a gzipped tarball")) {
		t.Errorf("LoadBundle(text) = %v, want not a gzipped tarball", err)
	}
}

// writeBundle writes files into a .tar.gz and returns its path.
func writeBundle(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, src := range files {
		h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(src)),
			Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "policies.tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
