# A service account, API client or workload calls an API or signs in from
# an address outside its known networks: networks.known, its own
# networks.by_principal entry, and the addresses of its live sessions. Its
# credential is presumed stolen: each credential the signal names is
# revoked with the sessions it backs, and new sessions from the address are
# refused for thresholds.new_network_lock_ttl. With no credential named,
# its owner is told and nothing is revoked. AI agents have a scope of
# their own (agent_scope.rego). Only a principal the signal names as the
# actor, or by its credential, is calling: the target of a sign-in
# attempt (the account an SSH brute force tries) is not.
package killswitch.response

new_network_hits contains [p.id, ip] if {
	input.signal.category in listed("usage_categories")
	some p in implicated_principals
	acted(p)
	is_non_human(p)
	p.kind != "agent"
	not p.id in break_glass_principals
	some ip in source_ips
	not known_network(p.id, ip)
}

new_network_principals contains id if some [id, _] in new_network_hits

new_network_ips contains ip if some [_, ip] in new_network_hits

known_network(_, ip) if {
	some cidr in networks.known
	net.cidr_contains(cidr, ip)
}

known_network(id, ip) if {
	some cidr in object.get(networks.by_principal, id, [])
	net.cidr_contains(cidr, ip)
}

known_network(id, ip) if {
	some s in input.sessions
	s.principal_id == id
	s.origin.ip == ip
}

# acted holds for a principal named as the actor or by its credential.
acted(p) if {
	some m in p.matched_by
	m.role in {"actor", "credential"}
}

default networks := {"known": [], "by_principal": {}}

networks := data.killswitch.networks

scenario_severity contains level("new_network") if count(new_network_hits) > 0

new_network_credentials contains c if {
	some c in named_credentials
	c.principal_id in new_network_principals
}

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("%s; revoking credential %s", [network_summary(c.principal_id), c.id]),
	"rule": "new_network",
} if {
	some c in new_network_credentials
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "credential", "id": c.id},
	"scope": "all",
	"reason": sprintf("%s; ending every session credential %s backs", [
		network_summary(c.principal_id), c.id,
	]),
	"rule": "new_network",
} if {
	some c in new_network_credentials
}

candidate_actions contains {
	"kind": "lock",
	"target": {"type": "origin", "id": ip},
	"ttl": threshold("new_network_lock_ttl"),
	"reason": sprintf("%s; refusing new sessions from %s for %s", [
		network_summary(id), ip, threshold("new_network_lock_ttl"),
	]),
	"rule": "new_network",
} if {
	some [id, ip] in new_network_hits
	count(new_network_credentials) > 0
}

candidate_actions contains {
	"kind": "notify",
	"target": {"type": "principal", "id": id},
	"reason": sprintf("%s; no credential was named, so nothing is revoked", [network_summary(id)]),
	"rule": "new_network",
} if {
	some id in new_network_principals
	count(new_network_credentials) == 0
}

# network_summary reads like "CloudTrail saw ci-runner (svc-ci) call
# GetSecretValue from 198.51.100.66, outside its known networks".
network_summary(id) := sprintf("%s saw %s %s from %s, outside its known networks", [
	source_name,
	principal_label(id),
	usage_verb,
	concat(", ", sort(new_network_ips)),
])

usage_verb := "sign in" if {
	input.signal.category == "authentication"
} else := sprintf("call %s", [input.signal.type])
