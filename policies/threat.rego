# A detector reports malicious or suspicious activity that no more
# specific scenario (impossible travel, MFA fatigue, a leaked secret, ...)
# claims. At thresholds.threat_revoke_severity or above every session of
# an implicated principal ends; a non-human principal also loses the
# credentials the signal named, and the sessions they back, since its
# credential is usually how the attacker got in. Below it, the owner is
# told and nothing is revoked.
package killswitch.response

threat if {
	input.signal.category == "threat"
	count(specific_threats) == 0
}

threat_severe if {
	threat
	input.signal.severity in object.keys(severity_rank)
	at_least(input.signal.severity, threshold("threat_revoke_severity"))
}

scenario_severity contains input.signal.severity if {
	threat
	input.signal.severity in object.keys(severity_rank)
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "principal", "id": p.id},
	"scope": "all",
	"reason": sprintf("%s; ending all their sessions", [
		threat_summary(p.id),
	]),
	"rule": "threat",
} if {
	threat_severe
	some p in implicated_principals
}

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("%s, which used credential %s; revoking it", [
		threat_summary(c.principal_id), c.id,
	]),
	"rule": "threat",
} if {
	some c in threat_credentials
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "credential", "id": c.id},
	"scope": "all",
	"reason": sprintf("%s, which used credential %s; ending every session it backs", [
		threat_summary(c.principal_id), c.id,
	]),
	"rule": "threat",
} if {
	some c in threat_credentials
}

candidate_actions contains {
	"kind": "notify",
	"target": {"type": "principal", "id": p.id},
	"reason": sprintf("%s; below high severity, so nothing is revoked", [
		threat_summary(p.id),
	]),
	"rule": "threat",
} if {
	threat
	not threat_severe
	some p in implicated_principals
}

# threat_credentials are the credentials the signal named that belong to
# a non-human principal it implicates, when the threat is severe.
threat_credentials contains c if {
	threat_severe
	some p in implicated_principals
	is_non_human(p)
	some c in named_credentials
	c.principal_id == p.id
}

# threat_summary reads like "GuardDuty reported
# UnauthorizedAccess:IAMUser/TorIPCaller (high) against CI Runner
# (svc-ci)".
threat_summary(id) := sprintf("%s reported %s (%s) against %s", [
	source_name,
	threat_name,
	severity_label,
	principal_label(id),
])

default threat_name := "a threat"

threat_name := input.signal.summary if input.signal.summary != ""

threat_name := input.signal.type if {
	object.get(input.signal, "summary", "") == ""
	input.signal.type != ""
}

default severity_label := "unknown severity"

severity_label := input.signal.severity if input.signal.severity != ""
