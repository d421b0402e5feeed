# The shipped response policy. Scenario files add actions to
# candidate_actions and severities to scenario_severity; this file turns
# them into the decision the engine reads, and holds what the scenarios
# share: naming things for reasons, and which principals a signal
# implicates.
#
# Nothing here may call out (http.send is not available) or read the
# clock: input.now is the evaluation time.
package killswitch.response

# decision is always defined. With nothing to do its actions are [].
default decision := {"actions": []}

decision := {
	"actions": actions,
	"severity": severity,
	"requires_approval": requires_approval,
}

# actions are the candidates that survive the break-glass filter, sorted
# so that the same input always gives the same array.
actions := sort([a |
	some a in candidate_actions
	not touches_break_glass(a)
])

# Break-glass principals are never acted on automatically: neither they,
# nor their sessions, nor their credentials.
break_glass_principals contains p.id if {
	some p in input.principals
	p.break_glass == true
}

touches_break_glass(action) if {
	action.target.type == "principal"
	action.target.id in break_glass_principals
}

touches_break_glass(action) if {
	action.target.type == "session"
	some s in input.sessions
	s.id == action.target.id
	s.principal_id in break_glass_principals
}

touches_break_glass(action) if {
	action.target.type == "credential"
	some c in input.credentials
	c.id == action.target.id
	c.principal_id in break_glass_principals
}

severity_rank := {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

# severity is the highest a scenario claims; without one, the signal's.
default severity := "info"

severity := level if {
	count(scenario_severity) > 0
	top := max({severity_rank[s] | some s in scenario_severity})
	some level, rank in severity_rank
	rank == top
} else := input.signal.severity if {
	input.signal.severity in object.keys(severity_rank)
}

# Disabling a non-human principal can stop a production workload, so a
# person approves it first. Disabling a person does not wait.
default requires_approval := false

requires_approval if {
	some a in actions
	a.kind == "disable_principal"
	some p in input.principals
	p.id == a.target.id
	p.kind != "human"
}

# implicated_principals are the principals the signal names as the actor,
# the target or the credential of the event. A principal named only as
# its source or location (an IP, a repository) is a bystander.
implicated_principals contains p if {
	some p in input.principals
	some m in p.matched_by
	not m.role in bystander_roles
}

bystander_roles := {"source", "location"}

# named_credentials are the active credentials the signal itself named.
named_credentials contains c if {
	some c in input.credentials
	count(object.get(c, "matched_by", [])) > 0
	c.status == "active"
}

# source_name names where the signal came from, for reasons.
source_names := {
	"caep": "CAEP transmitter",
	"cloudtrail": "CloudTrail",
	"github_secret_scanning": "GitHub secret scanning",
	"gitguardian": "GitGuardian",
	"guardduty": "GuardDuty",
	"ocsf": "OCSF detector",
	"okta": "Okta",
	"risc": "RISC transmitter",
}

default source_name := "an unnamed source"

source_name := source_names[input.signal.format]

source_name := input.signal.format if {
	not source_names[input.signal.format]
	input.signal.format != ""
}

# principal_label is "Display Name (id)", or the id when there is no name.
principal_label(id) := sprintf("%s (%s)", [name, id]) if {
	some p in input.principals
	p.id == id
	name := object.get(p, "display_name", "")
	name != ""
} else := id
