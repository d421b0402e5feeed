package main

import "testing"

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
