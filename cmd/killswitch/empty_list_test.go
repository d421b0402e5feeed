package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// An empty text listing says so on stderr; stdout keeps the header for
// pipes and JSON stays [].
func TestAnEmptyListingSaysSoOnStderr(t *testing.T) {
	db := importedStore(t)
	cases := []struct {
		name, note string
		args       []string
	}{
		{"No approvals", "no actions are waiting for approval",
			[]string{"approvals", "list"}},
		{"No credentials of a principal", "no credential matches",
			[]string{"credentials", "list", "--principal", "nobody"}},
		{"No exposed credentials", "no credential matches",
			[]string{"credentials", "list", "--exposed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"--store", db}, c.args...)
			stdout, stderr := runSplit(t, args...)
			if strings.TrimSpace(stderr) != c.note {
				t.Errorf("stderr %q, want %q", stderr, c.note)
			}
			if strings.Count(stdout, "\n") != 1 {
				t.Errorf("stdout %q, want the header alone", stdout)
			}
			stdout, stderr = runSplit(t, append(args, "-o", "json")...)
			if strings.TrimSpace(stdout) != "[]" || stderr != "" {
				t.Errorf("-o json: %q, %q; want [] and no note",
					stdout, stderr)
			}
		})
	}
	_, stderr := runSplit(t, "--store", db, "credentials", "list")
	if stderr != "" {
		t.Errorf("a listing with rows notes %q", stderr)
	}
}

// runSplit runs the binary and returns its stdout and stderr apart.
func runSplit(t *testing.T, args ...string) (string, string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), binary, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("killswitch %v: %v: %s", args, err, errOut.String())
	}
	return out.String(), errOut.String()
}
