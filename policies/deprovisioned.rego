# A principal that is no longer active still has live sessions or active
# credentials: its registry status is in lists.inactive_statuses, or this
# signal deprovisions it (a kind in lists.deprovision_types, naming it as
# the target; the admin who did it is the actor and is left alone). Every
# session ends and every active credential is revoked.
package killswitch.response

deprovisioned contains p if {
	some p in implicated_principals
	p.status in listed("inactive_statuses")
}

deprovisioned contains p if {
	signal_is("deprovision_types")
	some p in input.principals
	some m in p.matched_by
	m.role == "target"
}

has_live_sessions(id) if {
	some s in input.sessions
	s.principal_id == id
	s.status == "active"
}

scenario_severity contains level("deprovisioned") if {
	some p in deprovisioned
	has_live_sessions(p.id)
}

scenario_severity contains level("deprovisioned") if {
	some p in deprovisioned
	count(active_credentials_of(p.id)) > 0
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "principal", "id": p.id},
	"scope": "all",
	"reason": sprintf("%s; ending the sessions still live", [gone_summary(p)]),
	"rule": "deprovisioned",
} if {
	some p in deprovisioned
	has_live_sessions(p.id)
}

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("%s; revoking credential %s", [gone_summary(p), c.id]),
	"rule": "deprovisioned",
} if {
	some p in deprovisioned
	some c in active_credentials_of(p.id)
}

gone_summary(p) := sprintf("%s is %s", [principal_label(p.id), p.status]) if {
	p.status in listed("inactive_statuses")
} else := sprintf("%s deprovisioned %s (%s)", [source_name, principal_label(p.id), input.signal.type])
