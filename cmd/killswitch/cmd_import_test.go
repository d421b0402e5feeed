package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnImportThatStopsSaysWhatItWrote: an import cut short (a lock
// refusing a session, an interrupt) left part of the file in the
// registry and said only why it stopped; it says what it wrote and that
// the rest is not.
func TestAnImportThatStopsSaysWhatItWrote(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ks.db")
	inv := filepath.Join(dir, "inv.yaml")
	first := "principals:\n  - {id: alice, kind: human}\n"
	if err := os.WriteFile(inv, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := ks(t, "--store", db, "import", inv); code != 0 {
		t.Fatalf("import: exit %d: %s", code, out)
	}
	if out, code := ks(t, "--store", db, "locks", "add", "--principal",
		"alice", "--reason", "INC-9"); code != 0 {
		t.Fatalf("locks add: exit %d: %s", code, out)
	}
	second := "principals:\n  - {id: alice, kind: human, sessions: " +
		"[{id: s1, provider: okta, kind: browser}]}\n" +
		"  - {id: bob, kind: human}\n"
	if err := os.WriteFile(inv, []byte(second), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := ks(t, "--store", db, "import", inv)
	want := "stopped after 2 principals, 0 aliases, 0 credentials, " +
		"0 sessions (the rest is not written"
	if code != 1 || !strings.Contains(out, want) {
		t.Fatalf("import: exit %d, %s\nwant exit 1 saying %q", code, out, want)
	}
}
