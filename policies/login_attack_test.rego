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

wazuh_event(rule_id, groups, subjects) := {
	"format": "wazuh",
	"category": "authentication",
	"type": rule_id,
	"severity": "medium",
	"time": now,
	"dedup_key": "wazuh:m:1",
	"subjects": subjects,
	"summary": "sshd: brute force trying to get access to the system. Authentication failed.",
	"attributes": {"outcome": "failure", "rule_groups": groups},
}

test_wazuh_multiple_authentication_failures_lock_the_address if {
	sig := wazuh_event("5763", "syslog,sshd,authentication_failures", alice_from("198.51.100.3"))
	d := decide(attack_input(sig, [alice]))
	targets(d.actions) == {
		["lock", "origin", "198.51.100.3"],
		["notify", "principal", "p-alice"],
	}
	some a in d.actions
	a.kind == "lock"
	a.reason == "Wazuh reported sshd: brute force trying to get access to the system. Authentication failed. from 198.51.100.3; refusing new sessions from it for 6h"
}

test_wazuh_single_failed_sign_in_does_nothing if {
	sig := wazuh_event("5710", "syslog,sshd,invalid_login,authentication_failed", alice_from("198.51.100.3"))
	decide(attack_input(sig, [alice])).actions == []
}
