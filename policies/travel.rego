# Where a person signs in from.
#
# Impossible travel: a detector reports a sign-in too far from the last
# one to be real (a kind in lists.impossible_travel_types). Every session
# of each person it implicates ends, and new sessions from the addresses
# it names are refused for thresholds.travel_lock_ttl.
#
# New country: a person signs in successfully in a session whose origin
# country none of their other live sessions has. That session ends and
# the person is told; their other sessions are left alone.
package killswitch.response

impossible_travel if signal_is("impossible_travel_types")

specific_threats contains "impossible_travel" if impossible_travel

# A break-glass traveller is left out here rather than by the filter in
# main.rego, since locking the address would lock them out too.
travellers contains p if {
	impossible_travel
	some p in implicated_principals
	is_human(p)
	not p.id in break_glass_principals
}

scenario_severity contains level("impossible_travel") if count(travellers) > 0

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "principal", "id": p.id},
	"scope": "all",
	"reason": sprintf("%s; ending all their sessions", [travel_summary(p.id)]),
	"rule": "impossible_travel",
} if {
	some p in travellers
}

candidate_actions contains {
	"kind": "lock",
	"target": {"type": "origin", "id": ip},
	"ttl": threshold("travel_lock_ttl"),
	"reason": sprintf("%s; refusing new sessions from %s for %s", [
		travel_summary(p.id), ip, threshold("travel_lock_ttl"),
	]),
	"rule": "impossible_travel",
} if {
	some p in travellers
	some ip in source_ips
}

# travel_summary reads like "Okta reported impossible travel for Alice
# Smith (p-alice) from 203.0.113.9".
travel_summary(id) := sprintf("%s reported impossible travel for %s%s", [
	source_name, principal_label(id), from_addresses,
])

from_addresses := sprintf(" from %s", [concat(", ", sort(source_ips))]) if {
	count(source_ips) > 0
} else := ""

# signal_sessions are the sessions the signal names by id, or that come
# from an address it names as the source.
signal_sessions contains s if {
	some sub in input.signal.subjects
	sub.type == "session_id"
	some s in input.sessions
	session_named(s, sub.value)
}

signal_sessions contains s if {
	some s in input.sessions
	s.origin.ip in source_ips
}

new_country_sessions contains s if {
	input.signal.category == "authentication"
	succeeded
	some s in signal_sessions
	s.status == "active"
	s.origin.country != ""
	some p in implicated_principals
	is_human(p)
	s.principal_id == p.id
	known := usual_countries(p.id, s.id)
	count(known) > 0
	not s.origin.country in known
}

usual_countries(principal, except) := {o.origin.country |
	some o in input.sessions
	o.principal_id == principal
	o.id != except
	o.status == "active"
	o.origin.country != ""
}

scenario_severity contains level("new_country") if count(new_country_sessions) > 0

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "session", "id": s.id},
	"reason": sprintf("%s; ending that session", [country_summary(s)]),
	"rule": "new_country",
} if {
	some s in new_country_sessions
}

candidate_actions contains {
	"kind": "notify",
	"target": {"type": "principal", "id": s.principal_id},
	"reason": sprintf("%s; their other sessions are left alone", [country_summary(s)]),
	"rule": "new_country",
} if {
	some s in new_country_sessions
}

# country_summary reads like "Alice Smith (p-alice) signed in from BR
# (session s-9), where none of their live sessions is".
country_summary(s) := sprintf("%s signed in from %s (session %s), a country none of their other live sessions is in (%s)", [
	principal_label(s.principal_id),
	s.origin.country,
	s.id,
	concat(", ", sort(usual_countries(s.principal_id, s.id))),
])
