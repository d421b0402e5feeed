# The sweep policy: what a scheduled sweep does about the principals,
# sessions and credentials it looks at, under the same contract as the
# response decision. There is no alert: input.signal.type names the
# sweep (exposed-still-valid, max-credential-age, max-session-lifetime,
# idle-sessions, deprovisioned) and its rules alone apply; an empty type
# applies them all. Every principal in the input is looked at. The rules
# share the names, modes and break-glass exemption of the response
# policy's.
#
# Exposed and still valid: a credential whose first exposure is
# thresholds.sweep_exposed_notify_days old or more, that is still active
# and that its issuer did not say is invalid, gets its owner notified; at
# thresholds.sweep_exposed_revoke_days it is revoked with every session
# it backs. An issuer that could not tell (unknown) or was not asked
# counts as valid: a leak is presumed to work until shown dead.
#
# Credentials: one older than its kind's maximum age
# (credential_max_age_days, else thresholds.max_credential_age_days) is
# revoked; the shipped data runs this rule in monitor mode.
#
# Sessions: data.killswitch.session_limits gives, per principal kind
# (with "default" for the rest), a max_lifetime and a max_idle as Go
# durations; a live session past either is ended.
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

sweep_name := object.get(input.signal, "type", "")

sweeping(name) if sweep_name == name

sweeping(_) if sweep_name == ""

# exposed_for(c, name) holds when credential c was exposed at least the
# threshold name of days ago and may still work.
exposed_for(c, name) if {
	sweeping("exposed-still-valid")
	c.status == "active"
	not c.validity == "invalid"
	c.days_since_exposure >= response.threshold(name)
}

exposure_summary(c) := sprintf("credential %s of %s was exposed %d days ago and %s", [
	c.id, response.principal_label(c.principal_id), c.days_since_exposure,
	validity_words(c),
])

validity_words(c) := "its issuer says it still works" if {
	c.validity == "valid"
} else := "may still work"

candidate_actions contains {
	"kind": "notify",
	"target": {"type": "principal", "id": c.principal_id},
	"reason": sprintf("%s; rotate it", [exposure_summary(c)]),
	"rule": "exposed_still_valid",
} if {
	some c in input.credentials
	exposed_for(c, "sweep_exposed_notify_days")
}

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("%s; revoking it", [exposure_summary(c)]),
	"rule": "exposed_still_valid",
} if {
	some c in input.credentials
	exposed_for(c, "sweep_exposed_revoke_days")
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "credential", "id": c.id},
	"scope": "all",
	"reason": sprintf("%s; ending every session it backs", [exposure_summary(c)]),
	"rule": "exposed_still_valid",
} if {
	some c in input.credentials
	exposed_for(c, "sweep_exposed_revoke_days")
}

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("credential %s of %s is %d days old, past the maximum of %d for a %s; revoking it", [
		c.id, response.principal_label(c.principal_id), c.age_days,
		response.max_credential_age(c.kind), c.kind,
	]),
	"rule": "max_credential_age",
} if {
	sweeping("max-credential-age")
	some c in input.credentials
	c.status == "active"
	c.age_days > response.max_credential_age(c.kind)
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
	sweeping("deprovisioned")
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
	sweeping("deprovisioned")
	some p in input.principals
	p.status in response.listed("inactive_statuses")
	some c in response.active_credentials_of(p.id)
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "session", "id": s.id},
	"scope": "all",
	"reason": sprintf("session %s of %s has lived %d hours, past the maximum of %s for a %s; ending it", [
		s.id, response.principal_label(p.id), hours_since(s.created_at),
		limit, p.kind,
	]),
	"rule": "max_session_lifetime",
} if {
	sweeping("max-session-lifetime")
	some s in input.sessions
	s.status == "active"
	some p in input.principals
	p.id == s.principal_id
	limit := session_limit(p.kind, "max_lifetime")
	now_ns - time.parse_rfc3339_ns(s.created_at) > time.parse_duration_ns(limit)
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "session", "id": s.id},
	"scope": "all",
	"reason": sprintf("session %s of %s has been idle %d hours, past the maximum of %s for a %s; ending it", [
		s.id, response.principal_label(p.id), hours_since(last),
		limit, p.kind,
	]),
	"rule": "idle_session",
} if {
	sweeping("idle-sessions")
	some s in input.sessions
	s.status == "active"
	some p in input.principals
	p.id == s.principal_id
	limit := session_limit(p.kind, "max_idle")
	last := object.get(s, "last_seen_at", s.created_at)
	now_ns - time.parse_rfc3339_ns(last) > time.parse_duration_ns(limit)
}

now_ns := time.parse_rfc3339_ns(input.now)

hours_since(t) := floor((now_ns - time.parse_rfc3339_ns(t)) / 3600000000000)

# session_limit is a kind's limit, else the default's; undefined when
# neither sets it.
session_limit(kind, name) := object.get(session_limits, kind, {})[name]

session_limit(kind, name) := session_limits["default"][name] if {
	not object.get(session_limits, kind, {})[name]
}

default session_limits := {}

session_limits := data.killswitch.session_limits
