package killswitch.response_test

risc_signal(category) := {
	"format": "risc",
	"category": category,
	"type": "https://schemas.openid.net/secevent/risc/event-type/credential-compromise",
	"severity": "high",
	"time": now,
	"dedup_key": "risc-1",
	"subjects": [{"type": "email", "value": "alice@example.com", "role": "target"}],
}

risc_input(category, principals) := {
	"signal": risc_signal(category),
	"principals": principals,
	"sessions": [session("s-1", "p-alice", "alice-key")],
	"credentials": [
		credential("alice-key", "p-alice", "active"),
		credential("alice-password", "p-alice", "active"),
		credential("alice-old-key", "p-alice", "revoked"),
		credential("bot-key", "svc-deploy", "active"),
	],
	"now": now,
}

test_credential_compromise_cuts_the_principal_off if {
	d := decide(risc_input("credential_compromise", [alice]))
	targets(d.actions) == {
		["revoke_sessions", "principal", "p-alice"],
		["revoke_credential", "credential", "alice-key"],
		["revoke_credential", "credential", "alice-password"],
		["disable_principal", "principal", "p-alice"],
	}
	d.severity == "critical"
	d.requires_approval == false
}

test_account_disabled_reason_and_severity if {
	d := decide(risc_input("account_disabled", [alice]))
	some a in d.actions
	a.kind == "disable_principal"
	a.reason == "RISC transmitter disabled the account of Alice Smith (p-alice); disabling the principal everywhere"
	a.rule == "account_compromise"
	d.severity == "high"
}

test_account_compromise_revokes_sessions_in_every_scope if {
	d := decide(risc_input("credential_compromise", [alice]))
	some a in d.actions
	a.kind == "revoke_sessions"
	a.scope == "all"
}

test_account_compromise_leaves_other_principals_credentials if {
	d := decide(risc_input("credential_compromise", [alice]))
	not ["revoke_credential", "credential", "bot-key"] in targets(d.actions)
	not ["revoke_credential", "credential", "alice-old-key"] in targets(d.actions)
}

test_account_compromise_leaves_location_bystander_alone if {
	owner := object.union(alice, {"matched_by": [
		{"type": "repository", "value": "acme/payments-api", "role": "location"},
	]})
	d := decide(risc_input("account_disabled", [owner]))
	d.actions == []
}

test_account_compromise_needs_the_category if {
	d := decide(risc_input("account_change", [alice]))
	d.actions == []
}

test_account_compromise_spares_break_glass if {
	inp := object.union(risc_input("credential_compromise", [root]), {
		"sessions": [session("s-9", "p-root", "root-key")],
		"credentials": [credential("root-key", "p-root", "active")],
	})
	decide(inp).actions == []
}
