package killswitch.response_test

caep_signal(session_id) := {
	"format": "caep",
	"category": "session_revoked",
	"type": "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
	"severity": "medium",
	"time": now,
	"dedup_key": "caep-1",
	"subjects": [
		{"type": "email", "value": "alice@example.com", "role": "target"},
		{"type": "session_id", "value": session_id, "role": "target"},
	],
}

caep_input(session_id, sessions) := {
	"signal": caep_signal(session_id),
	"principals": [alice, root],
	"sessions": sessions,
	"now": now,
}

alice_sessions := [session("s-1", "p-alice", ""), session("s-2", "p-alice", "")]

test_session_revoked_matches_external_id if {
	d := decide(caep_input("ext-s-1", alice_sessions))
	targets(d.actions) == {["revoke_sessions", "session", "s-1"]}
	d.actions[0].rule == "session_revoked"
	d.actions[0].reason == "CAEP transmitter revoked okta session ext-s-1 of Alice Smith (p-alice); revoking it here"
	d.severity == "medium"
}

test_session_revoked_matches_registry_id if {
	d := decide(caep_input("s-2", alice_sessions))
	targets(d.actions) == {["revoke_sessions", "session", "s-2"]}
}

test_session_revoked_unknown_session_does_nothing if {
	d := decide(caep_input("ext-s-404", alice_sessions))
	d.actions == []
}

test_session_revoked_skips_session_already_revoked if {
	gone := object.union(session("s-1", "p-alice", ""), {"status": "revoked"})
	d := decide(caep_input("ext-s-1", [gone]))
	d.actions == []
}

test_session_revoked_empty_session_id_matches_nothing if {
	s := object.remove(session("s-1", "p-alice", ""), ["external_id"])
	d := decide(caep_input("", [s]))
	d.actions == []
}

test_session_revoked_needs_the_category if {
	inp := object.union(caep_input("ext-s-1", alice_sessions), {
		"signal": object.union(caep_signal("ext-s-1"), {"category": "authentication"}),
	})
	decide(inp).actions == []
}

test_session_revoked_spares_break_glass_session if {
	d := decide(caep_input("ext-s-7", [session("s-7", "p-root", "")]))
	d.actions == []
}
