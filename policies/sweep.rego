# The sweep policy: what a scheduled sweep does about the principals,
# sessions and credentials it looks at, under the same contract as the
# response decision. There is no alert: input.signal is empty, and every
# principal in the input is looked at. The rules are those of
# exposure_age.rego and deprovisioned.rego, without the evidence a signal
# gives, under the same names, modes and break-glass exemption.
package killswitch.sweep

import data.killswitch.response

default decision := {"actions": []}

decision := {
	"actions": actions,
	"severity": severity,
}

actions := response.pick(candidate_actions)

default severity := "info"

severity := name if {
	count(actions) > 0
	top := max({response.severity_rank[response.level(a.rule)] | some a in actions})
	some name, rank in response.severity_rank
	rank == top
}

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("credential %s of %s was exposed %d days ago and is still active; revoking it", [
		c.id, response.principal_label(c.principal_id), c.days_since_exposure,
	]),
	"rule": "exposed_still_valid",
} if {
	some c in input.credentials
	response.stale_exposed(c)
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "credential", "id": c.id},
	"scope": "all",
	"reason": sprintf("credential %s of %s was exposed %d days ago and is still active; ending every session it backs", [
		c.id, response.principal_label(c.principal_id), c.days_since_exposure,
	]),
	"rule": "exposed_still_valid",
} if {
	some c in input.credentials
	response.stale_exposed(c)
}

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("credential %s of %s is %d days old, past the maximum of %d; revoking it", [
		c.id, response.principal_label(c.principal_id), c.age_days,
		response.threshold("max_credential_age_days"),
	]),
	"rule": "max_credential_age",
} if {
	some c in input.credentials
	c.status == "active"
	c.age_days > response.threshold("max_credential_age_days")
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "principal", "id": p.id},
	"scope": "all",
	"reason": sprintf("%s is %s and still has live sessions; ending them", [
		response.principal_label(p.id), p.status,
	]),
	"rule": "deprovisioned",
} if {
	some p in input.principals
	p.status in response.listed("inactive_statuses")
	response.has_live_sessions(p.id)
}

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("%s is %s and credential %s is still active; revoking it", [
		response.principal_label(p.id), p.status, c.id,
	]),
	"rule": "deprovisioned",
} if {
	some p in input.principals
	p.status in response.listed("inactive_statuses")
	some c in response.active_credentials_of(p.id)
}
