package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// openDB opens the registry at db for a look behind the CLI.
func openDB(t *testing.T, db string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// auditBy lists the audit entries of event, as actor by subject.
func auditBy(t *testing.T, db, event string) []string {
	t.Helper()
	es, err := openDB(t, db).ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Event == event {
			out = append(out, e.Actor+" "+e.Subject)
		}
	}
	return out
}

func TestLocksAddRefuseListAndLift(t *testing.T) {
	db := importedStore(t)
	out, code := ks(t, "--store", db, "locks", "add", "--principal", "alice",
		"--reason", "INC-4711 takeover", "--expires", "1h",
		"--operator", "dana", "-o", "json")
	if code != 0 {
		t.Fatalf("locks add exited %d: %s", code, out)
	}
	var placed []store.Lock
	if err := json.Unmarshal([]byte(out), &placed); err != nil || len(placed) != 1 {
		t.Fatalf("locks add -o json: %v: %s", err, out)
	}
	id := placed[0].ID
	err := openDB(t, db).PutSession(context.Background(), store.Session{
		ID: "alice-new", PrincipalID: "alice", Provider: "okta",
		Kind: "browser", CreatedAt: time.Now()})
	var le *store.LockedError
	if !errors.As(err, &le) || le.Lock.ID != id {
		t.Fatalf("new session of alice: %v, want refused by %s", err, id)
	}
	runCLICases(t, db, []cliCase{
		{"The lock is listed in force", []string{"--store", "DB", "locks",
			"list"}, 0, []string{id, "principal:alice", "in force",
			"operator:dana", "INC-4711"}},
		{"Lifting it", []string{"--store", "DB", "locks", "remove", id,
			"--reason", "owner re-verified", "--operator", "erin"},
			0, []string{"lifted by operator:erin"}},
		{"Lifting it again", []string{"--store", "DB", "locks", "remove", id,
			"--reason", "again"}, 1, []string{"not in force", "operator:erin"}},
		{"History keeps it", []string{"--store", "DB", "locks", "list",
			"--all"}, 0, []string{id, "lifted by operator:erin",
			"owner re-verified"}},
	})
	if out, _ := ks(t, "--store", db, "locks", "list"); strings.Contains(out, id) {
		t.Errorf("a lifted lock is listed in force: %s", out)
	}
	if got := auditBy(t, db, "lock.placed"); !contains(got, "operator:dana principal:alice") {
		t.Errorf("lock.placed entries %q: want one by operator:dana", got)
	}
	if got := auditBy(t, db, "lock.lifted"); !contains(got, "operator:erin principal:alice") {
		t.Errorf("lock.lifted entries %q: want one by operator:erin", got)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestLocksRefuseBadUsage(t *testing.T) {
	db := importedStore(t)
	before := auditLength(t, db)
	runCLICases(t, db, []cliCase{
		{"Two targets", []string{"--store", "DB", "locks", "add",
			"--principal", "alice", "--device", "d1", "--reason", "x"},
			2, []string{"exactly one"}},
		{"No reason", []string{"--store", "DB", "locks", "add",
			"--principal", "alice"}, 2, []string{"reason is required"}},
		{"An origin that is no address", []string{"--store", "DB", "locks",
			"add", "--origin", "10.0.0.0/33", "--reason", "x"},
			2, []string{"10.0.0.0/33", "CIDR"}},
		{"An origin that is every address", []string{"--store", "DB",
			"locks", "add", "--origin", "0.0.0.0/0", "--reason", "x"},
			2, []string{"0.0.0.0/0", "every address"}},
		{"An origin with a zone", []string{"--store", "DB", "locks", "add",
			"--origin", "fe80::1%eth0", "--reason", "x"},
			2, []string{"fe80::1%eth0", "zone"}},
		{"A principal named by an alias", []string{"--store", "DB", "locks",
			"add", "--principal", "alice@example.com", "--reason", "x"},
			2, []string{"alice@example.com", "not in the registry",
				"principal alice"}},
		{"A principal the registry does not hold", []string{"--store", "DB",
			"locks", "add", "--principal", "nobody-such", "--reason", "x"},
			2, []string{"nobody-such", "not in the registry"}},
		{"A credential the registry does not hold", []string{"--store", "DB",
			"locks", "add", "--credential", "no-such-key", "--reason", "x"},
			2, []string{"no-such-key", "not in the registry"}},
		{"An expiry that is neither", []string{"--store", "DB", "locks", "add",
			"--principal", "alice", "--reason", "x", "--expires", "tomorrow"},
			2, []string{"--expires", "tomorrow"}},
		{"An expiry in the past", []string{"--store", "DB", "locks", "add",
			"--principal", "alice", "--reason", "x", "--expires",
			"2020-01-01T00:00:00Z"}, 2, []string{"not after now"}},
		{"Lifting an unknown lock", []string{"--store", "DB", "locks",
			"remove", "lck_nothing", "--reason", "x"}, 1,
			[]string{"lck_nothing", "not found"}},
	})
	if after := auditLength(t, db); after != before {
		t.Errorf("refused commands wrote %d audit entries", after-before)
	}
}

// --expires at Go's zero time, in any zone, is a time not after now:
// it was read as no --expires at all, so the lock was placed until lifted
// and the token never expired.
func TestExpiresAtTheZeroTimeIsRefused(t *testing.T) {
	db := importedStore(t)
	before := auditLength(t, db)
	var cases []cliCase
	for _, zero := range []string{"0001-01-01T00:00:00Z",
		"0001-01-01T02:00:00+02:00"} {
		cases = append(cases, cliCase{"A lock until " + zero, []string{
			"--store", "DB", "locks", "add", "--principal", "dave",
			"--reason", "INC-1", "--expires", zero},
			2, []string{"--expires", zero, "not after now"}},
			cliCase{"A token until " + zero, []string{"--store", "DB",
				"tokens", "create", "--name", "oncall", "--role", "viewer",
				"--expires", zero},
				2, []string{"--expires", zero, "not after now"}})
	}
	runCLICases(t, db, cases)
	if after := auditLength(t, db); after != before {
		t.Errorf("refused commands wrote %d audit entries", after-before)
	}
}

// --expires takes days as --older-than and the sweeps do: "7d" was
// refused as neither a duration nor a time.
func TestExpiresTakesDays(t *testing.T) {
	db := importedStore(t)
	runCLICases(t, db, []cliCase{
		{"A lock for 7d", []string{"--store", "DB", "locks", "add",
			"--principal", "dave", "--reason", "INC-1", "--expires", "7d"},
			0, []string{"principal:dave", "in force"}},
		{"A token for 30d", []string{"--store", "DB", "tokens", "create",
			"--name", "oncall", "--role", "viewer", "--expires", "30d"},
			0, []string{"created token"}},
		{"A word", []string{"--store", "DB", "locks", "add", "--principal",
			"dave", "--reason", "INC-1", "--expires", "soon"},
			2, []string{"--expires", `"soon"`, "24h, 7d"}},
	})
	out, _ := ks(t, "--store", db, "locks", "list", "-o", "json")
	var locks []store.Lock
	if err := json.Unmarshal([]byte(out), &locks); err != nil || len(locks) != 1 {
		t.Fatalf("locks list: %v: %s", err, out)
	}
	if d := time.Until(locks[0].ExpiresAt); d < 7*24*time.Hour-time.Hour ||
		d > 7*24*time.Hour {
		t.Errorf("a 7d lock expires in %s", d)
	}
}
