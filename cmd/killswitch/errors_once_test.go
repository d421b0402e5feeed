package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
)

// An error names what failed once: the id once, the reason once, and no
// generic words of the error's kind after a reason that says more.
func TestErrorsSayWhatFailedOnceNamingTheID(t *testing.T) {
	db := importedStore(t)
	out, code := ks(t, "--store", db, "locks", "add", "--principal", "alice",
		"--reason", "INC-1", "--expires", "1h", "-o", "json")
	var placed []store.Lock
	if err := json.Unmarshal([]byte(out), &placed); code != 0 ||
		err != nil || len(placed) != 1 {
		t.Fatalf("locks add exited %d: %v: %s", code, err, out)
	}
	lock := placed[0].ID
	if out, code := ks(t, "--store", db, "locks", "remove", lock,
		"--reason", "ok"); code != 0 {
		t.Fatalf("locks remove exited %d: %s", code, out)
	}
	cases := []struct {
		name, id, want string
		args           []string
		code           int
	}{
		{"Approving an unknown action", "act-9",
			`killswitch: approve action "act-9": not found`,
			[]string{"approvals", "approve", "act-9", "--reason", "x"}, 1},
		{"Rejecting an unknown action", "act-9",
			`killswitch: reject action "act-9": not found`,
			[]string{"approvals", "reject", "act-9", "--reason", "x"}, 1},
		{"Lifting an unknown lock", "lck_nope",
			`killswitch: lift lock "lck_nope": not found`,
			[]string{"locks", "remove", "lck_nope", "--reason", "x"}, 1},
		{"Revoking an unknown API token", "tok_nope",
			`killswitch: revoke api token "tok_nope": not found`,
			[]string{"tokens", "revoke", "tok_nope"}, 2},
		{"Lifting a lifted lock", lock,
			`killswitch: lift lock "` + lock + `": not in force: lifted by`,
			[]string{"locks", "remove", lock, "--reason", "x"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, code := ks(t, append([]string{"--store", db}, c.args...)...)
			if code != c.code || !strings.Contains(out, c.want) {
				t.Fatalf("exited %d with %q, want %d with %q", code, out,
					c.code, c.want)
			}
			if n := strings.Count(out, c.id); n != 1 {
				t.Errorf("%q names %s %d times, want once", out, c.id, n)
			}
			if strings.Contains(out, store.ErrInvalid.Error()) {
				t.Errorf("%q appends %q", out, store.ErrInvalid)
			}
		})
	}
}
