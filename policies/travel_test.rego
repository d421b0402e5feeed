package killswitch.response_test

travel_signal(kind) := object.union(
	signal("threat", "medium", [
		{"type": "email", "value": "alice@example.com", "role": "actor"},
		{"type": "ip", "value": "203.0.113.99", "role": "source"},
	]),
	{"format": "ocsf", "attributes": {"finding_type": kind}},
)

travel_input(principals) := {
	"signal": travel_signal("Impossible Travel"),
	"principals": principals,
	"sessions": [session("s-1", "p-alice", "")],
	"now": now,
}

test_impossible_travel_ends_sessions_and_locks_the_address if {
	d := decide(travel_input([alice]))
	targets(d.actions) == {
		["revoke_sessions", "principal", "p-alice"],
		["lock", "origin", "203.0.113.99"],
	}
	some a in d.actions
	a.kind == "lock"
	a.ttl == "24h"
	a.reason == "OCSF detector reported impossible travel for Alice Smith (p-alice) from 203.0.113.99; refusing new sessions from 203.0.113.99 for 24h"
	d.severity == "high"
}

test_impossible_travel_is_not_also_a_generic_threat if {
	d := decide(object.union(travel_input([alice]), {"signal": object.union(travel_signal("Impossible Travel"), {"severity": "low"})}))
	every a in d.actions {
		a.rule == "impossible_travel"
	}
}

test_impossible_travel_leaves_non_humans if {
	d := decide(travel_input([object.union(deploy_bot, {"matched_by": alice.matched_by})]))
	d.actions == []
}

test_impossible_travel_spares_break_glass if {
	d := decide(travel_input([root]))
	d.actions == []
}

signin(session_id) := object.union(
	signal("authentication", "info", [
		{"type": "email", "value": "alice@example.com", "role": "actor"},
		{"type": "session_id", "value": session_id, "role": "actor"},
	]),
	{"format": "okta", "type": "user.session.start", "attributes": {"outcome": "success"}},
)

in_country(s, c) := object.union(s, {"origin": {"ip": "203.0.113.7", "country": c}})

country_input(new_country) := {
	"signal": signin("ext-s-new"),
	"principals": [alice],
	"sessions": [
		in_country(session("s-home", "p-alice", ""), "US"),
		in_country(session("s-new", "p-alice", ""), new_country),
	],
	"now": now,
}

test_new_country_ends_only_that_session if {
	d := decide(country_input("BR"))
	targets(d.actions) == {
		["revoke_sessions", "session", "s-new"],
		["notify", "principal", "p-alice"],
	}
	d.severity == "medium"
}

test_usual_country_does_nothing if {
	decide(country_input("US")).actions == []
}

test_failed_sign_in_from_a_new_country_does_nothing if {
	inp := country_input("BR")
	sig := object.union(inp.signal, {"attributes": {"outcome": "failure"}})
	decide(object.union(inp, {"signal": sig})).actions == []
}

test_first_session_has_no_baseline if {
	inp := object.union(country_input("BR"), {"sessions": [in_country(session("s-new", "p-alice", ""), "BR")]})
	decide(inp).actions == []
}
