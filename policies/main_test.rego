# Fixtures shared by the scenario tests, and the tests of what main.rego
# does for every scenario: defaults, ordering, break-glass, severity and
# approval.
package killswitch.response_test

import data.killswitch.response

# decide evaluates the decision for one input.
decide(inp) := d if {
	d := response.decision with input as inp
}

# targets reduces actions to [kind, target type, target id] triples.
targets(actions) := {[a.kind, a.target.type, a.target.id] | some a in actions}

now := "2025-06-01T12:00:00Z"

alice := {
	"id": "p-alice",
	"kind": "human",
	"display_name": "Alice Smith",
	"status": "active",
	"break_glass": false,
	"matched_by": [{"type": "email", "value": "alice@example.com", "role": "actor"}],
}

deploy_bot := {
	"id": "svc-deploy",
	"kind": "service_account",
	"display_name": "Deploy Bot",
	"status": "active",
	"break_glass": false,
	"matched_by": [{"type": "secret_hash", "value": "sha256:9f86d0", "role": "credential"}],
}

root := {
	"id": "p-root",
	"kind": "human",
	"display_name": "Emergency Admin",
	"status": "active",
	"break_glass": true,
	"matched_by": [{"type": "email", "value": "root@example.com", "role": "actor"}],
}

session(id, principal, credential) := {
	"id": id,
	"principal_id": principal,
	"provider": "okta",
	"external_id": concat("", ["ext-", id]),
	"kind": "browser",
	"origin": {"ip": "203.0.113.7", "device": "dev-1"},
	"credential_id": credential,
	"status": "active",
}

credential(id, principal, status) := {
	"id": id,
	"principal_id": principal,
	"kind": "api_key",
	"store": "github",
	"status": status,
	"age_days": 40,
	"days_since_exposure": -1,
}

named(c) := object.union(c, {"matched_by": [
	{"type": "secret_hash", "value": "sha256:9f86d0", "role": "credential"},
]})

signal(category, severity, subjects) := {
	"format": "guardduty",
	"category": category,
	"type": "UnauthorizedAccess:IAMUser/TorIPCaller",
	"severity": severity,
	"time": now,
	"dedup_key": "k-1",
	"subjects": subjects,
}

test_empty_input_decides_nothing if {
	decide({}).actions == []
}

test_unhandled_category_decides_nothing_at_signal_severity if {
	d := decide({
		"signal": signal("authentication", "low", []),
		"principals": [alice],
		"now": now,
	})
	d == {"actions": [], "severity": "low", "requires_approval": false}
}

test_unknown_signal_severity_is_info if {
	decide({"signal": signal("other", "urgent", [])}).severity == "info"
}

test_actions_are_sorted_and_explained if {
	d := decide({
		"signal": signal("credential_compromise", "high", []),
		"principals": [alice],
		"credentials": [
			credential("c-2", "p-alice", "active"),
			credential("c-1", "p-alice", "active"),
		],
		"now": now,
	})
	count(d.actions) == 4
	d.actions == sort(d.actions)
	every a in d.actions {
		a.reason != ""
		a.rule == "account_compromise"
	}
}

test_break_glass_principal_is_dropped_but_not_others if {
	d := decide({
		"signal": signal("threat", "critical", []),
		"principals": [alice, root],
		"now": now,
	})
	targets(d.actions) == {["revoke_sessions", "principal", "p-alice"]}
}

test_break_glass_sessions_and_credentials_are_dropped if {
	d := decide({
		"signal": signal("secret_exposure", "high", []),
		"principals": [root],
		"sessions": [session("s-1", "p-root", "c-root")],
		"credentials": [named(credential("c-root", "p-root", "active"))],
		"now": now,
	})
	d.actions == []
}

test_disabling_a_non_human_requires_approval if {
	d := decide({
		"signal": signal("account_disabled", "high", []),
		"principals": [deploy_bot],
		"now": now,
	})
	d.requires_approval == true
}

test_disabling_a_human_needs_no_approval if {
	d := decide({
		"signal": signal("account_disabled", "high", []),
		"principals": [alice],
		"now": now,
	})
	d.requires_approval == false
	count(d.actions) > 0
}

test_principal_label_falls_back_to_id if {
	response.principal_label("p-ghost") == "p-ghost"
	l := response.principal_label("p-alice") with input as {"principals": [alice]}
	l == "Alice Smith (p-alice)"
}
