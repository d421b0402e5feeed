package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
)

const (
	exampleMappings = "../../testdata/mappings/mappings.yaml"
	mappedAlerts    = "../../testdata/mappings/alerts"
	chronicleAlert  = mappedAlerts + "/chronicle-rule-detection-alice.json"
)

// brokenMappings writes a mapping file with two faults and returns its
// path.
func brokenMappings(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "broken.yaml")
	err := os.WriteFile(path, []byte("mappings:\n  - name: soar\n"+
		"    match: {}\n    time: at\n    severity: loud\n"+
		"    category: threat\n"+
		"    subjects: [{path: user, type: email, role: actor}]\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCommandsDecodeWithSignalMappings(t *testing.T) {
	db := importedStore(t)
	broken := brokenMappings(t)
	unknown := "../../testdata/alerts-bad/unknown-format.json"
	_, wantUnknown := ks(t, "signals", "decode", unknown)
	if wantUnknown != 1 {
		t.Fatalf("unknown-format.json decodes without mappings")
	}
	runCLICases(t, db, []cliCase{
		{"signals decode reads a mapped alert", []string{"signals", "decode",
			"--signal-mappings", exampleMappings, chronicleAlert}, 0,
			[]string{`"format":"generic:chronicle"`,
				`"dedup_key":"generic:chronicle:de_6a1f4c52-31d0-4c7e-9a4b-0f2c5d8e7a10"`,
				`{"type":"email","value":"alice@example.com","role":"actor"}`}},
		{"signals decode without the mappings dead-letters it", []string{
			"signals", "decode", chronicleAlert}, 1,
			[]string{"no decoder recognises this payload"}},
		{"signals decode refuses a broken mapping file", []string{"signals",
			"decode", "--signal-mappings", broken, chronicleAlert}, 2,
			[]string{broken + `:3: mapping "soar": match: empty`,
				broken + `:5: mapping "soar": severity: unknown severity "loud"`}},
		{"policy eval decodes a mapped alert", []string{"--store", "DB",
			"policy", "eval", "--signal-mappings", exampleMappings, "--signal",
			chronicleAlert, "--now", "2026-11-30T10:00:00Z", "-o", "json"}, 0,
			[]string{`"format": "generic:chronicle"`, `"id": "alice"`}},
		{"policy eval refuses a broken mapping file", []string{"--store",
			"DB", "policy", "eval", "--signal-mappings", broken, "--signal",
			chronicleAlert}, 2, []string{broken + ":3:"}},
		{"policy backtest replays mapped alerts", []string{"--store", "DB",
			"policy", "backtest", "--signal-mappings", exampleMappings,
			"--candidate", "../../policies", "--alerts", mappedAlerts,
			"--all"}, 0, []string{"2 alert(s)"}},
		{"run refuses to start with a broken mapping file", []string{
			"--store", "DB", "run", "--kafka-brokers", "127.0.0.1:1",
			"--listen", "", "--signal-mappings", broken}, 2,
			[]string{"--signal-mappings: " + broken + ":3:", broken + ":5:"}},
	})
	out, code := ks(t, "signals", "decode", "--signal-mappings",
		exampleMappings, unknown)
	_, bare := ks(t, "signals", "decode", unknown)
	if code != 1 || !strings.Contains(out, "no decoder recognises") {
		t.Errorf("unmatched payload with mappings: exit %d (without %d): %s",
			code, bare, out)
	}
}

// A mapping file that breaks while run serves leaves the mappings in
// force, saying so; once it is fixed, the new one is in force.
func TestABrokenMappingFileKeepsTheMappingsInForce(t *testing.T) {
	good, err := os.ReadFile(exampleMappings)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mappings.yaml")
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	var logged logbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	live, err := newLiveMappings(path, log)
	if err != nil {
		t.Fatal(err)
	}
	alert, err := os.ReadFile(chronicleAlert)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	live.start(ctx)
	broken, err := os.ReadFile(brokenMappings(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return strings.Contains(logged.String(), "reload failed")
	})
	if s, err := live.Decode(alert); err != nil || s.Format != "generic:chronicle" {
		t.Errorf("after a broken reload: %v, %v", s.Format, err)
	}
	if !strings.Contains(logged.String(), "mappings_in_force=chronicle,acme-alerting") ||
		!strings.Contains(logged.String(), "mappings.yaml:3: mapping") {
		t.Errorf("the log does not say what stays and why:\n%s", logged.String())
	}
	if err := live.ReloadErr(); err == nil ||
		!strings.Contains(err.Error(), "mappings.yaml:3: mapping") {
		t.Errorf("ReloadErr of a broken file: %v, want its fault", err)
	}
	renamed := strings.Replace(string(good), "name: chronicle", "name: secops", 1)
	if err := os.WriteFile(path, []byte(renamed), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		s, err := live.Decode(alert)
		return err == nil && s.Format == "generic:secops"
	})
	if err := live.ReloadErr(); err != nil {
		t.Errorf("readiness after a good reload: %v", err)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("not within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A mapping file mounted from a Kubernetes ConfigMap is a link that
// never changes, through a ..data link that each update swaps for a new
// directory: no event named the file, so an update was never loaded
// (SIGHUP alone did). A change that leaves the file as it was reloads
// nothing.
func TestAMappingFileUpdatedAsAConfigMapIsReloaded(t *testing.T) {
	good, err := os.ReadFile(exampleMappings)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	version := func(name string, content []byte) {
		t.Helper()
		must(t, os.Mkdir(filepath.Join(dir, name), 0o700))
		must(t, os.WriteFile(filepath.Join(dir, name, "mappings.yaml"),
			content, 0o600))
		must(t, os.Symlink(name, filepath.Join(dir, "..data_tmp")))
		must(t, os.Rename(filepath.Join(dir, "..data_tmp"),
			filepath.Join(dir, "..data")))
	}
	version("..2026_01_01", good)
	path := filepath.Join(dir, "mappings.yaml")
	must(t, os.Symlink("..data/mappings.yaml", path))
	var logged logbuf.Buffer
	live, err := newLiveMappings(path,
		slog.New(slog.NewTextHandler(&logged, nil)))
	must(t, err)
	alert, err := os.ReadFile(chronicleAlert)
	must(t, err)
	live.start(t.Context())

	version("..2026_01_02", good)
	renamed := strings.Replace(string(good), "name: chronicle",
		"name: secops", 1)
	version("..2026_01_03", []byte(renamed))
	must(t, os.RemoveAll(filepath.Join(dir, "..2026_01_01")))

	waitFor(t, func() bool {
		s, err := live.Decode(alert)
		return err == nil && s.Format == "generic:secops"
	})
	if n := strings.Count(logged.String(), "signal mappings reloaded"); n != 1 {
		t.Errorf("reloaded %d times, want once (an update that changed "+
			"nothing is no reload):\n%s", n, logged.String())
	}
}

// A deploy that moves a new directory over the mapping file's left the
// watch on the old directory: the new file was loaded only on SIGHUP,
// and edits to it after were not seen either.
func TestAMappingFileWhoseDirectoryIsSwappedIsReloaded(t *testing.T) {
	good, err := os.ReadFile(exampleMappings)
	must(t, err)
	base := t.TempDir()
	release := func(name string, content []byte) string {
		t.Helper()
		dir := filepath.Join(base, name)
		must(t, os.Mkdir(dir, 0o700))
		must(t, os.WriteFile(filepath.Join(dir, "mappings.yaml"), content, 0o600))
		return dir
	}
	dir := filepath.Join(base, "mappings")
	must(t, os.Rename(release("v1", good), dir))
	path := filepath.Join(dir, "mappings.yaml")
	var logged logbuf.Buffer
	live, err := newLiveMappings(path, slog.New(slog.NewTextHandler(&logged, nil)))
	must(t, err)
	alert, err := os.ReadFile(chronicleAlert)
	must(t, err)
	live.start(t.Context())

	v2 := release("v2", []byte(strings.Replace(string(good),
		"name: chronicle", "name: secops", 1)))
	must(t, os.Rename(dir, filepath.Join(base, "old")))
	must(t, os.Rename(v2, dir))
	waitFor(t, func() bool {
		s, err := live.Decode(alert)
		return err == nil && s.Format == "generic:secops"
	})

	must(t, os.WriteFile(path, []byte(strings.Replace(string(good),
		"name: chronicle", "name: siem", 1)), 0o600))
	waitFor(t, func() bool {
		s, err := live.Decode(alert)
		return err == nil && s.Format == "generic:siem"
	})
}

// The registry's WAL written beside the mapping file, as under a steady
// stream of alerts, restarted the debounce on every write: an edit of
// the file was put off for as long as the writes went on.
func TestAMappingFileIsReloadedThoughItsDirectoryNeverFallsQuiet(t *testing.T) {
	good, err := os.ReadFile(exampleMappings)
	must(t, err)
	dir := t.TempDir()
	path := filepath.Join(dir, "mappings.yaml")
	must(t, os.WriteFile(path, good, 0o600))
	live, err := newLiveMappings(path, slog.New(slog.DiscardHandler))
	must(t, err)
	alert, err := os.ReadFile(chronicleAlert)
	must(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	live.start(ctx)
	churned := make(chan struct{})
	go func() {
		defer close(churned)
		for ctx.Err() == nil {
			os.WriteFile(filepath.Join(dir, "killswitch.db-wal"),
				[]byte(time.Now().String()), 0o600)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	defer func() { cancel(); <-churned }()

	must(t, os.WriteFile(path, []byte(strings.Replace(string(good),
		"name: chronicle", "name: secops", 1)), 0o600))

	waitFor(t, func() bool {
		s, err := live.Decode(alert)
		return err == nil && s.Format == "generic:secops"
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A case of a mapped format fails without mappings, naming the case and
// where to give them, and passes with --signal-mappings.
func TestPolicyTestDecodesMappedCasesWithSignalMappings(t *testing.T) {
	alert, err := filepath.Abs(chronicleAlert)
	must(t, err)
	dir := t.TempDir()
	note := "A Chronicle detection about Alice waits for a person"
	writeFile(t, filepath.Join(dir, "mapped.yaml"), `now: 2026-12-01T12:00:00Z
inventory:
  principals:
    - {id: alice, kind: human, aliases: [{type: email, value: alice@example.com}]}
cases:
  - note: `+note+`
    signal: `+alert+`
    want:
      actions: [revoke_sessions principal:alice scope=all rule=siem_incident]
      requires_approval: true
`)
	out, code := ks(t, "policy", "test", shippedDir, "--cases", dir)
	for _, want := range []string{"FAIL " + dir + "/mapped.yaml: " + note,
		"no decoder recognises this payload", `add "signal_mappings: FILE"`,
		"give --signal-mappings FILE", " passed, 1 failed, 0 skipped"} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("without mappings: exit %d, want 1 and %q in:\n%s",
				code, want, out)
		}
	}
	out, code = ks(t, "policy", "test", shippedDir, "--cases", dir, "-v",
		"--signal-mappings", exampleMappings)
	if code != 0 || !strings.Contains(out, "PASS "+dir+"/mapped.yaml: "+note) {
		t.Errorf("with --signal-mappings: exit %d, want 0 and the case "+
			"passed:\n%s", code, out)
	}
	broken := brokenMappings(t)
	out, code = ks(t, "policy", "test", shippedDir, "--cases", dir,
		"--signal-mappings", broken)
	if code != 2 || !strings.Contains(out, "--signal-mappings: "+broken+":3:") {
		t.Errorf("a broken mapping file: exit %d, want 2 naming it:\n%s",
			code, out)
	}
}
