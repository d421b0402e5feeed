package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// cliCase runs the binary with args ("DB" stands for the store path)
// and expects its exit code and words in its output.
type cliCase struct {
	name string
	args []string
	code int
	want []string
}

// importedStore is a registry with the demo inventory in it.
func importedStore(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "ks.db")
	if out, code := ks(t, "--store", db, "import", "../../testdata/inventory.yaml"); code != 0 {
		t.Fatalf("import exited %d: %s", code, out)
	}
	return db
}

func runCLICases(t *testing.T, db string, cases []cliCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.ReplaceAll(a, "DB", db)
			}
			out, code := ks(t, args...)
			if code != c.code {
				t.Errorf("exit %d, want %d: %s", code, c.code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not say %q: %s", w, out)
				}
			}
		})
	}
}

func TestRevokeOfWhatTheRegistryDoesNotHoldIsAnError(t *testing.T) {
	db := importedStore(t)
	before := auditLength(t, db)
	runCLICases(t, db, []cliCase{
		{"An unknown principal", []string{"--store", "DB", "revoke",
			"--principal", "nobody", "--reason", "INC-1"},
			1, []string{`principal "nobody"`, "not in the registry"}},
		{"An unknown session", []string{"--store", "DB", "revoke",
			"--session", "nosuch", "--reason", "INC-1"},
			1, []string{`session "nosuch"`, "not in the registry"}},
		{"An unknown credential", []string{"--store", "DB", "revoke",
			"--credential", "nosuch", "--reason", "INC-1"},
			1, []string{`credential "nosuch"`, "not in the registry"}},
		{"No reason", []string{"--store", "DB", "revoke", "--principal", "alice"},
			2, []string{"reason is required"}},
		{"Two targets", []string{"--store", "DB", "revoke", "--principal", "alice",
			"--session", "alice-okta-laptop", "--reason", "INC-1"},
			2, []string{"exactly one"}},
	})
	if after := auditLength(t, db); after != before {
		t.Errorf("refused revocations wrote %d audit entries", after-before)
	}
}

func auditLength(t *testing.T, db string) int {
	t.Helper()
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	entries, err := st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
