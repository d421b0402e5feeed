package rules_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/killswitch-dev/killswitch/rules"
)

const header = "package killswitch.response\n\n"

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return fsys
}

// onlyMain is a policy set of one file, main.rego, holding src after the
// package line and a blank line: src starts on line 3.
func onlyMain(src string) map[string]string {
	return map[string]string{"main.rego": header + src}
}

const network = " (not available in killswitch: " +
	"policies may not make network calls)"

func TestLoadRejectsBrokenPolicies(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		file    string
		row     int
		message string
	}{
		{name: "A syntax error names its file and line",
			files: onlyMain("decision := {\"actions\": []}\n\n" +
				"broken if {\n\tx := \n}\n\ny := 1\n"),
			file: "main.rego", row: 7,
			message: "rego_parse_error: unexpected } token"},
		{name: "A call to http.send does not compile",
			files: onlyMain(`decision := {"actions": [], "severity": r.body.level}

r := http.send({"method": "GET", "url": "https://example.com"})`),
			file: "main.rego", row: 5,
			message: "rego_type_error: undefined function http.send" + network},
		{name: "A call to net.lookup_ip_addr does not compile",
			files: onlyMain(`decision := {"actions": []} if {
	net.lookup_ip_addr("example.com")
}`),
			file: "main.rego", row: 4,
			message: "rego_type_error: undefined function " +
				"net.lookup_ip_addr" + network},
		{name: "A call to opa.runtime does not compile",
			files: onlyMain(`decision := {"actions": [], "severity": s}

s := opa.runtime().env.LEVEL`),
			file: "main.rego", row: 5,
			message: "rego_type_error: undefined function opa.runtime " +
				"(not available in killswitch: " +
				"policies may not read the runtime environment)"},
		{name: "An unused variable is an error in strict mode",
			files: onlyMain("decision := {\"actions\": []} if {\n\tx := 1\n}"),
			file:  "main.rego", row: 4,
			message: "rego_compile_error: assigned var x unused"},
		{name: "An unused import is an error in strict mode",
			files: onlyMain("import data.elsewhere\n\n" +
				`decision := {"actions": []}`),
			file: "main.rego", row: 3,
			message: "rego_compile_error: import data.elsewhere unused"},
		{name: "A call to an unknown function is an error",
			files: onlyMain(`decision := {"actions": []} if nonesuch(1)`),
			file:  "main.rego", row: 3,
			message: "rego_type_error: undefined function nonesuch"},
		{name: "A misspelt input field does not compile",
			files: onlyMain(`decision := {"actions": []} if {
	input.signal.categori == "threat"
}`),
			file: "main.rego", row: 4,
			message: "rego_type_error: undefined ref: input.signal.categori " +
				"(want one of attributes, category, dedup_key, format, " +
				"severity, subjects, summary, time, type)"},
		{name: "A misspelt field of a listed item does not compile",
			files: onlyMain(`decision := {"actions": []} if {
	some p in input.principals
	p.breakglass
}`),
			file: "main.rego", row: 5,
			message: "rego_type_error: undefined ref: p.breakglass " +
				"(want one of break_glass, created_at, display_name, id, " +
				"kind, labels, matched_by, owner, status)"},
		{name: "Comparing an input field with another type does not compile",
			files: onlyMain(`decision := {"actions": []} if {
	input.credentials[0].age_days == "30"
}`),
			file: "main.rego", row: 4,
			message: "rego_type_error: match error (number against string)"},
		{name: "Passing an input field of another type does not compile",
			files: onlyMain(`decision := {"actions": []} if {
	startswith(input.credentials[0].age_days, "3")
}`),
			file: "main.rego", row: 4,
			message: "rego_type_error: startswith: invalid argument(s) " +
				"(have: (number, string); " +
				"want: (search: string, base: string, result: boolean))"},
		{name: "A set without a decision is an error",
			files:   onlyMain(`allow := true`),
			message: "no rule defines data.killswitch.response.decision"},
		{name: "An empty file is an error",
			files: map[string]string{"empty.rego": "# nothing\n",
				"main.rego": header + `decision := {"actions": []}`},
			file:    "empty.rego",
			message: "rego_parse_error: empty module"},
		{name: "A set of test files only has nothing to evaluate",
			files:   map[string]string{"main_test.rego": header + "test_x if true"},
			message: "no .rego policy files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := rules.Load(t.Context(), mapFS(tt.files))
			if ps != nil {
				t.Errorf("Load returned a policy set with error %v", err)
			}
			assertPolicyError(t, err, rules.CodeCompile, tt.file, tt.row,
				tt.message)
		})
	}
}

func TestLoadFindsTheDecisionWhereverItIsDefined(t *testing.T) {
	tests := []struct {
		name   string
		policy string
	}{
		{"A rule with a reference head in a parent package",
			"package killswitch\n\nresponse.decision := {\"actions\": [1]}"},
		{"A rule below the decision",
			header + "decision.actions := [1]"},
		{"A package of its own",
			"package killswitch.response.decision\n\nactions := [1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := rules.Load(t.Context(), mapFS(map[string]string{
				"main.rego": tt.policy}))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			_, err = ps.Evaluate(t.Context(), contractInput)
			assertPolicyError(t, err, rules.CodeInvalid, "main.rego", 3,
				"actions[0]: want an object, got number")
		})
	}
}

func TestLoadReportsErrorsOfEveryFile(t *testing.T) {
	_, err := rules.Load(t.Context(), mapFS(map[string]string{
		"b.rego":    header + "x := {",
		"a.rego":    header + "y := [",
		"main.rego": header + `decision := {"actions": []}`,
	}))
	var first *rules.PolicyError
	if !errors.As(err, &first) || first.File != "a.rego" {
		t.Fatalf("error = %v, want the first error in a.rego", err)
	}
	for _, want := range []string{"policy a.rego:3: ", "policy b.rego:3: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLoadLeavesTestFilesOut(t *testing.T) {
	ps, err := rules.Load(t.Context(), mapFS(map[string]string{
		"main.rego":         header + `decision := {"actions": []}`,
		"main_test.rego":    "this is not Rego",
		"scenarios/x.rego":  header + "x := 1",
		".hidden/bad.rego":  "not Rego either",
		"README.md":         "not Rego",
		"scenarios/y.json":  "{}",
		"scenarios/z.rego~": "backup",
	}))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	want := []string{"main.rego", "scenarios/x.rego"}
	if got := ps.Files(); !slices.Equal(got, want) {
		t.Errorf("Files() = %q, want %q", got, want)
	}
}

func TestRevision(t *testing.T) {
	base := map[string]string{
		"main.rego":      header + `decision := {"actions": []}`,
		"extra.rego":     header + "x := 1",
		"main_test.rego": header + "test_x if true",
		"notes.md":       "notes",
	}
	changed := func(name, src string) map[string]string {
		files := map[string]string{}
		for k, v := range base {
			files[k] = v
		}
		if src == "" {
			delete(files, name)
		} else {
			files[name] = src
		}
		return files
	}
	renamed := changed("extra.rego", "")
	renamed["extra2.rego"] = base["extra.rego"]
	want := revisionOf(t, base)
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(want) {
		t.Fatalf("Revision() = %q, want sha256:<64 hex>", want)
	}
	tests := []struct {
		name  string
		files map[string]string
		same  bool
	}{
		{"Loading again gives the same revision", base, true},
		{"Editing a test file keeps it", changed("main_test.rego", header+"test_y if true"), true},
		{"Editing a file that is not Rego keeps it", changed("notes.md", "other"), true},
		{"Editing a policy changes it", changed("extra.rego", header+"x := 2"), false},
		{"Adding a policy changes it", changed("more.rego", header+"y := 1"), false},
		{"Removing a policy changes it", changed("extra.rego", ""), false},
		{"Renaming a policy changes it", renamed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := revisionOf(t, tt.files)
			if (got == want) != tt.same {
				t.Errorf("Revision() = %s, base %s; want same = %v", got, want, tt.same)
			}
		})
	}
}

func revisionOf(t *testing.T, files map[string]string) string {
	t.Helper()
	ps, err := rules.Load(t.Context(), mapFS(files))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return ps.Revision()
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	src := header + `decision := {"actions": []}`
	if err := os.WriteFile(filepath.Join(dir, "main.rego"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	ps, err := rules.LoadDir(t.Context(), dir)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	same := revisionOf(t, map[string]string{"main.rego": src})
	if ps.Revision() != same {
		t.Errorf("LoadDir revision %s differs from Load's %s for the same files",
			ps.Revision(), same)
	}
	_, err = rules.LoadDir(t.Context(), filepath.Join(dir, "missing"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadDir(missing) = %v, want os.ErrNotExist", err)
	}
	if _, err := rules.LoadDir(t.Context(), filepath.Join(dir, "main.rego")); err == nil {
		t.Error("LoadDir(a file) succeeded, want an error")
	}
}

func TestWithPrintOutput(t *testing.T) {
	src := header + "decision := {\"actions\": []} if {\n" +
		"\tprint(\"category\", input.signal.category)\n}"
	var out bytes.Buffer
	ps, err := rules.Load(t.Context(), mapFS(map[string]string{"main.rego": src}),
		rules.WithPrintOutput(&out))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if _, err := ps.Evaluate(t.Context(), contractInput); err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	if got := out.String(); !strings.Contains(got, "category threat") {
		t.Errorf("print output = %q, want it to contain %q", got, "category threat")
	}
}
