# A SIEM incident (a format in lists.incident_formats: Microsoft
# Sentinel) is an analyst's case built from other rules' alerts; its
# severity is the rule author's guess, and the accounts it names may be
# victims, attackers or bystanders. A Splunk search's alert is read the
# same way: its severity is whatever field of the result row the search
# author named severity or urgency, and its user fields name whoever the
# row is about. An Elastic Security alert (an ECS threat) is a detection
# rule's like a Sentinel one's, and its user fields are copied from the
# events it matched: user.name of a failed sign-in is whatever name was
# typed, user.target whatever account the command line named. So nothing
# is revoked on one without
# a person: an open incident at thresholds.incident_approval_severity or
# above proposes ending every session of each account it names, held for
# approval (the whole decision waits until someone decides); below it,
# each account is told. Whatever another rule asks on one (a search
# named like a scenario), only telling the accounts goes without a
# person. A closed incident (category other: false positive, benign or
# dealt with) does nothing, whatever its title. An alert of a format a
# mapping file describes (generic:NAME, shipped as "generic:*" in the
# list) is read the same way until its owner says otherwise: its
# subjects are whatever paths the mapping's author chose, and no review
# of a decoder stands behind them.
package killswitch.response

siem_incident if {
	input.signal.category == "threat"
	format_listed("incident_formats")
}

# The incident claims the alert: the generic threat rule would end
# sessions at high severity without asking anyone.
specific_threats contains "siem_incident" if siem_incident

siem_incident_severe if {
	siem_incident
	input.signal.severity in object.keys(severity_rank)
	at_least(input.signal.severity, threshold("incident_approval_severity"))
}

scenario_severity contains input.signal.severity if {
	siem_incident
	input.signal.severity in object.keys(severity_rank)
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "principal", "id": p.id},
	"scope": "all",
	"reason": sprintf("%s; ending all their sessions once a person approves", [
		incident_summary(p.id),
	]),
	"rule": "siem_incident",
} if {
	siem_incident_severe
	some p in implicated_principals
}

candidate_actions contains {
	"kind": "notify",
	"target": {"type": "principal", "id": p.id},
	"reason": sprintf("%s; below %s, so nothing is revoked", [
		incident_summary(p.id), threshold("incident_approval_severity"),
	]),
	"rule": "siem_incident",
} if {
	siem_incident
	not siem_incident_severe
	some p in implicated_principals
}

# Whatever rule asks for it, nothing but telling the accounts is done on
# an incident without a person: a search or an incident named like a
# scenario ("Impossible Travel", "MFA Fatigue") is claimed by that
# scenario too, whose actions would otherwise run on their own.
requires_approval if {
	siem_incident
	some a in actions
	a.kind != "notify"
}

# incident_summary reads like "Microsoft Sentinel incident 42 (Password
# spray, high) names Alice Smith (p-alice)".
incident_summary(id) := sprintf("%s %s (%s, %s) names %s", [
	source_name,
	incident_label,
	threat_name,
	severity_label,
	principal_label(id),
])

incident_label := sprintf("incident %s", [n]) if {
	n := input.signal.attributes.incident_number
	is_string(n)
} else := "alert" if {
	input.signal.format in {"splunk", "ecs"}
} else := "alert" if {
	startswith(input.signal.format, "generic:")
} else := "incident"
