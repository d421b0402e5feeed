package killswitch.response_test

okta_event(event_type, outcome, subjects) := {
	"format": "okta",
	"category": "other",
	"type": event_type,
	"severity": "info",
	"time": now,
	"dedup_key": "okta-1",
	"subjects": subjects,
	"attributes": {"outcome": outcome},
}

alice_from(ip) := [
	{"type": "email", "value": "alice@example.com", "role": "actor"},
	{"type": "ip", "value": ip, "role": "source"},
]

attack_input(sig, principals) := {
	"signal": sig,
	"principals": principals,
	"sessions": [session("s-1", "p-alice", "")],
	"now": now,
}

test_mfa_fatigue_ends_sessions_and_locks_the_person if {
	sig := okta_event("user.mfa.okta_verify.deny_push", "failure", alice_from("198.51.100.3"))
	d := decide(attack_input(sig, [alice]))
	targets(d.actions) == {
		["revoke_sessions", "principal", "p-alice"],
		["lock", "principal", "p-alice"],
	}
	some a in d.actions
	a.kind == "lock"
	a.ttl == "1h"
	d.severity == "high"
}

test_mfa_fatigue_spares_break_glass if {
	sig := okta_event("user.mfa.okta_verify.deny_push", "failure", alice_from("198.51.100.3"))
	decide(attack_input(sig, [root])).actions == []
}

test_account_locked_by_failed_sign_ins_locks_the_address if {
	sig := object.union(okta_event("user.account.lock", "failure", alice_from("198.51.100.3")), {
		"category": "account_change",
		"summary": "Max sign in attempts exceeded",
	})
	d := decide(attack_input(sig, [alice]))
	targets(d.actions) == {
		["lock", "origin", "198.51.100.3"],
		["notify", "principal", "p-alice"],
	}
	d.severity == "medium"
}

test_successful_brute_force_also_ends_sessions if {
	sig := object.union(okta_event("Password Spray", "success", alice_from("198.51.100.3")), {
		"category": "threat",
		"format": "ocsf",
	})
	d := decide(attack_input(sig, [alice]))
	["revoke_sessions", "principal", "p-alice"] in targets(d.actions)
	d.severity == "high"
	every a in d.actions {
		a.rule == "brute_force"
	}
}

test_ordinary_failed_sign_in_does_nothing if {
	sig := object.union(okta_event("user.session.start", "failure", alice_from("198.51.100.3")), {
		"category": "authentication",
	})
	decide(attack_input(sig, [alice])).actions == []
}
