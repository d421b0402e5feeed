package killswitch.sweep_test

import data.killswitch.sweep

now := "2025-06-01T12:00:00Z"

person(id, status, break_glass) := {
	"id": id, "kind": "human", "display_name": upper(id), "status": status,
	"break_glass": break_glass, "matched_by": [],
}

key(id, owner, age, exposed) := {
	"id": id, "principal_id": owner, "kind": "api_key", "store": "github",
	"status": "active", "age_days": age, "days_since_exposure": exposed,
}

live(id, owner) := {"id": id, "principal_id": owner, "provider": "okta", "kind": "browser", "origin": {}, "status": "active"}

sweep_input := {
	"signal": {"subjects": []},
	"principals": [person("ann", "active", false), person("bob", "disabled", false), person("root", "disabled", true)],
	"sessions": [live("s-ann", "ann"), live("s-bob", "bob"), live("s-root", "root")],
	"credentials": [
		key("ann-stale", "ann", 20, 10),
		key("ann-fresh", "ann", 20, 1),
		key("ann-ancient", "ann", 500, -1),
		key("bob-key", "bob", 5, -1),
		key("root-key", "root", 900, 90),
	],
	"now": now,
}

targets(actions) := {[a.kind, a.target.id, a.rule] | some a in actions}

test_sweep_finds_stale_exposures_old_keys_and_leftover_sessions if {
	d := sweep.decision with input as sweep_input
	targets(d.actions) == {
		["revoke_credential", "ann-stale", "exposed_still_valid"],
		["revoke_sessions", "ann-stale", "exposed_still_valid"],
		["revoke_credential", "ann-ancient", "max_credential_age"],
		["revoke_sessions", "bob", "deprovisioned"],
		["revoke_credential", "bob-key", "deprovisioned"],
	}
	d.severity == "critical"
}

test_sweep_spares_break_glass if {
	d := sweep.decision with input as sweep_input
	every a in d.actions {
		not startswith(a.target.id, "root")
	}
}

test_sweep_of_nothing_does_nothing if {
	sweep.decision with input as {"signal": {"subjects": []}} == {"actions": []}
}
