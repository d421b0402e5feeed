package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// principalIDs runs principals list -o json with args and returns the
// ids it printed.
func principalIDs(t *testing.T, db string, args ...string) []string {
	t.Helper()
	args = append([]string{"--store", db, "principals", "list", "-o", "json"}, args...)
	out, code := ks(t, args...)
	if code != 0 {
		t.Fatalf("principals list %v exited %d: %s", args, code, out)
	}
	var ps []store.Principal
	if err := json.Unmarshal([]byte(out), &ps); err != nil {
		t.Fatalf("principals list %v: %v: %s", args, err, out)
	}
	ids := []string{}
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

func TestPrincipalsListFilters(t *testing.T) {
	db := importedStore(t)
	all := []string{"alice", "breakglass-admin", "dave", "deploy-bot",
		"erin", "frank", "grace", "support-agent"}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"Without a filter it lists every principal in id order", nil, all},
		{"A kind keeps the principals of that kind",
			[]string{"--kind", "agent"}, []string{"support-agent"}},
		{"A provider keeps those with a session or credential there",
			[]string{"--provider", "aws"}, []string{"alice", "breakglass-admin"}},
		{"An email alias finds its principal",
			[]string{"--alias", "alice@example.com"}, []string{"alice"}},
		{"An access key id finds its principal whatever its alias type",
			[]string{"--alias", "AKIAALICEDEMO0000001"}, []string{"alice"}},
		{"An alias and a kind that disagree match nothing",
			[]string{"--alias", "alice@example.com", "--kind", "agent"}, []string{}},
		{"An unknown alias matches nothing",
			[]string{"--alias", "ghost@example.com"}, []string{}},
		{"A status no principal has matches nothing",
			[]string{"--status", "disabled"}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := principalIDs(t, db, c.args...); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestPrincipalsListPagesThroughEveryPrincipalOnce(t *testing.T) {
	db := importedStore(t)
	var got []string
	after := ""
	for range 10 {
		page := principalIDs(t, db, "--limit", "3", "--after", after)
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1]
	}
	if want := principalIDs(t, db); !slices.Equal(got, want) {
		t.Errorf("pages of 3 gave %v, want %v", got, want)
	}
}

func TestPrincipalsBadInputNamesTheFlagAndValue(t *testing.T) {
	db := importedStore(t)
	runCLICases(t, db, []cliCase{
		{"An unknown kind", []string{"--store", "DB", "principals", "list",
			"--kind", "robot"}, 2, []string{"--kind", `"robot"`}},
		{"An unknown status", []string{"--store", "DB", "principals", "list",
			"--status", "gone"}, 2, []string{"--status", `"gone"`}},
		{"A negative limit", []string{"--store", "DB", "principals", "list",
			"--limit", "-1"}, 2, []string{"--limit", "-1"}},
		{"An unknown output", []string{"--store", "DB", "principals", "show",
			"alice", "-o", "yaml"}, 2, []string{"--output", `"yaml"`}},
		{"An unknown principal", []string{"--store", "DB", "principals",
			"show", "nobody"}, 1, []string{`"nobody"`, "no principal"}},
		{"No principal", []string{"--store", "DB", "principals", "show"},
			2, []string{"1 arg"}},
	})
}

func TestPrincipalsShowAnAmbiguousAliasNamesThePrincipals(t *testing.T) {
	db := importedStore(t)
	err := openDB(t, db).PutAlias(context.Background(), store.Alias{
		Type: "email", Value: "alice@example.com", PrincipalID: "frank"})
	if err != nil {
		t.Fatal(err)
	}
	out, code := ks(t, "--store", db, "principals", "show", "alice@example.com")
	if code != 2 || !strings.Contains(out, "alice, frank") {
		t.Errorf("exit %d, want 2 naming alice and frank: %s", code, out)
	}
}

func TestPrincipalsShowEverythingAboutAPrincipal(t *testing.T) {
	db := importedStore(t)
	st := openDB(t, db)
	err := st.MarkExposed(context.Background(), "alice-aws-key", store.Exposure{
		At: time.Now().Add(-73 * time.Hour), Source: "github_secret_scanning",
		Where: "https://github.com/example/leak"})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"revoke", "--principal", "alice", "--reason", "INC-7", "--operator", "dana"},
		{"locks", "add", "--principal", "alice", "--reason", "INC-7",
			"--expires", "1h", "--operator", "dana"},
	} {
		if out, code := ks(t, append([]string{"--store", db}, args...)...); code != 0 {
			t.Fatalf("%v exited %d: %s", args, code, out)
		}
	}
	out, code := ks(t, "--store", db, "principals", "show",
		"AKIAALICEDEMO0000001", "-o", "json")
	if code != 0 {
		t.Fatalf("principals show exited %d: %s", code, out)
	}
	var v principalView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("principals show -o json: %v: %s", err, out)
	}
	checkAliceView(t, v)
	text, code := ks(t, "--store", db, "principals", "show", "alice")
	for _, w := range []string{"Principal alice (human)", "alice-okta-phone",
		"198.51.100.21", "github_secret_scanning", "Locks in force (1)",
		"revoke_sessions principal:alice done (INC-7)"} {
		if code != 0 || !strings.Contains(text, w) {
			t.Errorf("principals show (exit %d) does not say %q: %s", code, w, text)
		}
	}
}

func checkAliceView(t *testing.T, v principalView) {
	t.Helper()
	if v.Principal.ID != "alice" || len(v.Aliases) != 6 {
		t.Errorf("principal %s with %d aliases, want alice with 6",
			v.Principal.ID, len(v.Aliases))
	}
	if len(v.Live) != 0 || len(v.Recent) != 3 ||
		v.Recent[0].Revocation == nil || v.Recent[0].Revocation.Reason != "INC-7" {
		t.Errorf("live %v, recent %v: want the 3 sessions revoked for INC-7",
			v.Live, v.Recent)
	}
	if len(v.Credentials) != 1 || v.Credentials[0].AgeDays != 400 ||
		v.Credentials[0].DaysSinceExposure == nil ||
		*v.Credentials[0].DaysSinceExposure != 3 {
		t.Errorf("credentials %+v: want alice-aws-key, 400 days old, "+
			"exposed 3 days ago", v.Credentials)
	}
	if len(v.Locks) != 1 || v.Locks[0].Target != "alice" {
		t.Errorf("locks %+v: want the lock on alice", v.Locks)
	}
	kinds := map[string]int{}
	for _, e := range v.Timeline {
		kinds[e.Kind]++
	}
	if kinds["signal"] != 1 || kinds["action"] != 1 || kinds["audit"] < 5 {
		t.Errorf("timeline has %v: want the revocation's signal, its "+
			"action and the audit entries of it and the lock", kinds)
	}
}
