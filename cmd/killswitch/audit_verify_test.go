package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A responder reads "broken after N good entries" as "the first N
// entries can be trusted"; the count must be of the whole chain, not of
// the pages read before the bad one.
func TestAuditVerifyCountsTheGoodEntriesBeforeTheBrokenOne(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ks.db")
	ks(t, "--store", db, "import", "../../testdata/inventory.yaml")
	for _, target := range []string{"alice", "frank"} {
		out, code := ks(t, "--store", db, "revoke", "--principal", target,
			"--reason", "incident INC-1", "--operator", "tester")
		if code != 0 {
			t.Fatalf("revoke %s exited %d: %s", target, code, out)
		}
	}
	tamper(t, db, 3)
	out, code := ks(t, "--store", db, "audit", "verify")
	if code != 1 || !strings.Contains(out, "after 2 good entries") {
		t.Fatalf("audit verify after editing entry 3 exited %d: %s", code, out)
	}
}
