package main

import (
	"regexp"
	"testing"
)

// A filter on a status or kind no session can have used to list nothing
// and exit 0, which a responder reads as "nothing is live".
func TestSessionsListRefusesAStatusOrKindNoSessionCanHave(t *testing.T) {
	db := importedStore(t)
	runCLICases(t, db, []cliCase{
		{"A misspelt status", []string{"--store", "DB", "sessions", "list",
			"--status", "revokd"}, 2,
			[]string{"--status", `"revokd"`, "active, revoked, expired"}},
		{"A status in capitals", []string{"--store", "DB", "sessions",
			"list", "--status", "Active"}, 2, []string{"--status", `"Active"`}},
		{"An unknown kind", []string{"--store", "DB", "sessions", "list",
			"--kind", "cookie"}, 2,
			[]string{"--kind", `"cookie"`, "browser, token, api, agent, ssh"}},
		{"A known status and kind", []string{"--store", "DB", "sessions",
			"list", "--status", "active", "--kind", "browser"}, 0,
			[]string{"alice-okta-laptop"}},
	})
}

// "What was cut" at 3 a.m. needs when, not only by whom and why.
func TestSessionsListSaysWhenASessionWasRevoked(t *testing.T) {
	db := importedStore(t)
	if out, code := ks(t, "--store", db, "revoke", "--session",
		"dave-phone", "--reason", "INC-1"); code != 0 {
		t.Fatalf("revoke exited %d: %s", code, out)
	}
	out, code := ks(t, "--store", db, "sessions", "list", "--status", "revoked")
	if code != 0 {
		t.Fatalf("sessions list exited %d: %s", code, out)
	}
	header := regexp.MustCompile(`CREATED\s+REVOKED\s+BY\s+REASON`)
	line := regexp.MustCompile(`dave-phone .* \d{4}-\d\d-\d\dT\S+Z\s+` +
		`\d{4}-\d\d-\d\dT\S+Z\s+operator:\S+\s+INC-1`)
	if !header.MatchString(out) || !line.MatchString(out) {
		t.Errorf("the list does not show when dave-phone was revoked:\n%s", out)
	}
}
