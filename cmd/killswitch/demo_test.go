package main

import (
	"strings"
	"testing"
)

// The demo is the first thing a new user runs: it must go end to end on
// the shipped samples and say what it did. Its malformed samples are
// sent on purpose, and it said "warning: ... (sending anyway)" for each,
// as if something were wrong with the user's setup.
func TestTheDemoRunsTheWholePathAndSaysWhatItDid(t *testing.T) {
	out, code := ks(t, "demo", "--testdata", repoRoot+"/testdata")
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	for _, want := range []string{
		"and 5 malformed ones from " + repoRoot + "/testdata/alerts-bad on purpose",
		"revoke_sessions principal:dave → done",
		"duplicate of an alert already processed",
		"dead-letter topic security.alerts.dlq: 5 message(s)",
		"hash chain intact",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "warning:") {
		t.Errorf("the demo warns about its own samples:\n%s", out)
	}
}
