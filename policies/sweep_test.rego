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
		["notify", "ann", "exposed_still_valid"],
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

exposed_key(days, validity) := object.union(key("k", "ann", 20, days), {"validity": validity})

exposure_input(days, validity) := {
	"signal": {"type": "exposed-still-valid", "subjects": []},
	"principals": [person("ann", "active", false)],
	"sessions": [],
	"credentials": [exposed_key(days, validity)],
	"now": now,
}

test_an_exposure_waits_then_notifies_then_revokes if {
	wait := sweep.decision with input as exposure_input(2, "valid")
	wait.actions == []
	notify := sweep.decision with input as exposure_input(3, "valid")
	targets(notify.actions) == {["notify", "ann", "exposed_still_valid"]}
	revoke := sweep.decision with input as exposure_input(6, "valid")
	targets(revoke.actions) == {
		["notify", "ann", "exposed_still_valid"],
		["revoke_credential", "k", "exposed_still_valid"],
		["revoke_sessions", "k", "exposed_still_valid"],
	}
}

test_an_exposure_its_issuer_says_is_dead_is_left_alone if {
	d := sweep.decision with input as exposure_input(30, "invalid")
	d.actions == []
}

test_an_exposure_sweep_ignores_other_rules if {
	d := sweep.decision with input as object.union(sweep_input, {"signal": {"type": "exposed-still-valid", "subjects": []}})
	every a in d.actions {
		a.rule == "exposed_still_valid"
	}
}

agent(id) := {"id": id, "kind": "agent", "status": "active", "break_glass": false, "matched_by": []}

aged(id, owner, created, seen) := {
	"id": id, "principal_id": owner, "provider": "okta", "kind": "agent",
	"origin": {}, "status": "active", "created_at": created, "last_seen_at": seen,
}

session_input(sweep_name) := {
	"signal": {"type": sweep_name, "subjects": []},
	"principals": [agent("bot"), person("ann", "active", false)],
	"sessions": [
		aged("bot-old", "bot", "2025-05-30T12:00:00Z", "2025-06-01T11:59:00Z"),
		aged("bot-idle", "bot", "2025-06-01T06:00:00Z", "2025-06-01T08:00:00Z"),
		aged("ann-day", "ann", "2025-05-30T12:00:00Z", "2025-06-01T08:00:00Z"),
	],
	"credentials": [],
	"now": now,
}

test_sessions_past_their_kinds_lifetime_are_ended if {
	d := sweep.decision with input as session_input("max-session-lifetime")
	targets(d.actions) == {["revoke_sessions", "bot-old", "max_session_lifetime"]}
}

test_sessions_idle_past_their_kinds_limit_are_ended if {
	d := sweep.decision with input as session_input("idle-sessions")
	targets(d.actions) == {["revoke_sessions", "bot-idle", "idle_session"]}
}

aged_key(id, kind, age) := object.union(key(id, "ann", age, -1), {"kind": kind})

age_input := {
	"signal": {"type": "max-credential-age", "subjects": []},
	"principals": [person("ann", "active", false)],
	"sessions": [],
	"credentials": [
		aged_key("access-100", "access_key", 100),
		aged_key("access-80", "access_key", 80),
		aged_key("api-300", "api_key", 300),
		aged_key("api-400", "api_key", 400),
	],
	"now": now,
}

test_credentials_past_their_kinds_maximum_age_are_revoked if {
	d := sweep.decision with input as age_input
		with data.killswitch.credential_max_age_days as {"access_key": 90}
		with data.killswitch.thresholds.max_credential_age_days as 365
	targets(d.actions) == {
		["revoke_credential", "access-100", "max_credential_age"],
		["revoke_credential", "api-400", "max_credential_age"],
	}
}
