# A runtime detector (a format in lists.runtime_formats: Falco, Wazuh)
# reports what a process did in a container or on a host. Its findings
# name a workload, a host or a local account more often than a stolen
# identity, and many of its rules fire on what is only unusual (a
# package manager writing below /usr/bin, an operator's shell), while
# cutting a production workload's sessions stops production. So it is
# read more cautiously than the detectors threat.rego serves: only at
# thresholds.runtime_revoke_severity (shipped critical: a Falco rule of
# priority Critical, Alert or Emergency, a Wazuh rule of level 15 or 16)
# does every session of an implicated principal end. Below it, the
# principal's owner is told and nothing is revoked. A name that several
# principals answer to (a generic container or host name, "nginx",
# aliased by each) does not say which of them the finding is about: a
# principal named only by such names is told, never cut.
package killswitch.response

runtime_threat if {
	input.signal.category == "threat"
	format_listed("runtime_formats")
}

specific_threats contains "runtime_threat" if runtime_threat

runtime_severe if {
	runtime_threat
	input.signal.severity in object.keys(severity_rank)
	at_least(input.signal.severity, threshold("runtime_revoke_severity"))
}

scenario_severity contains input.signal.severity if {
	runtime_threat
	input.signal.severity in object.keys(severity_rank)
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "principal", "id": p.id},
	"scope": "all",
	"reason": sprintf("%s; ending all their sessions", [threat_summary(p.id)]),
	"rule": "runtime_threat",
} if {
	runtime_severe
	some p in implicated_principals
	named_alone(p)
}

candidate_actions contains {
	"kind": "notify",
	"target": {"type": "principal", "id": p.id},
	"reason": sprintf("%s; below %s severity, so nothing is revoked", [
		threat_summary(p.id), threshold("runtime_revoke_severity"),
	]),
	"rule": "runtime_threat",
} if {
	runtime_threat
	not runtime_severe
	some p in implicated_principals
}

candidate_actions contains {
	"kind": "notify",
	"target": {"type": "principal", "id": p.id},
	"reason": sprintf("%s; other principals answer to the same name, so nothing is revoked", [
		threat_summary(p.id),
	]),
	"rule": "runtime_threat",
} if {
	runtime_severe
	some p in implicated_principals
	not named_alone(p)
}

# named_alone holds for a principal that a subject implicating it names
# and names no other principal.
named_alone(p) if {
	some m in p.matched_by
	not m.role in listed("bystander_roles")
	count(named_by(m)) == 1
}

# named_by is the set of principals a subject named.
named_by(subject) := {q.id |
	some q in input.principals
	some n in q.matched_by
	n.type == subject.type
	n.value == subject.value
}
