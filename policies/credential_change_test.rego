package killswitch.response_test

caep_change(change, kind) := {
	"format": "caep",
	"category": "credential_change",
	"type": "https://schemas.openid.net/secevent/caep/event-type/credential-change",
	"severity": "medium",
	"time": now,
	"dedup_key": "caep-cc",
	"subjects": [{"type": "email", "value": "alice@example.com", "role": "target"}],
	"attributes": {"change_type": change, "credential_type": kind},
}

alice_password := object.union(credential("alice-password", "p-alice", "active"), {"kind": "password"})

change_input(change, kind, principals) := {
	"signal": caep_change(change, kind),
	"principals": principals,
	"sessions": [session("s-1", "p-alice", "alice-password")],
	"credentials": [alice_password, credential("alice-key", "p-alice", "active")],
	"now": now,
}

test_revoked_password_is_revoked_here_with_its_sessions if {
	d := decide(change_input("revoke", "password", [alice]))
	targets(d.actions) == {
		["revoke_credential", "credential", "alice-password"],
		["revoke_sessions", "credential", "alice-password"],
	}
	d.severity == "medium"
	some a in d.actions
	a.reason == "CAEP transmitter reported a revoke of the password of Alice Smith (p-alice), credential alice-password; revoking it here too"
}

test_updated_password_ends_the_old_sessions_only if {
	d := decide(change_input("update", "password", [alice]))
	targets(d.actions) == {["revoke_sessions", "credential", "alice-password"]}
}

test_new_fido2_key_does_nothing if {
	decide(change_input("create", "fido2-roaming", [alice])).actions == []
}

test_credential_change_spares_break_glass if {
	inp := object.union(change_input("revoke", "password", [root]), {
		"credentials": [object.union(alice_password, {"principal_id": "p-root"})],
	})
	decide(inp).actions == []
}
