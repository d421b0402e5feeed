# The shipped response policy. Scenario files add actions to
# candidate_actions and severities to scenario_severity; this file turns
# them into the decision the engine reads, and holds what the scenarios
# share: naming things for reasons, and which principals a signal
# implicates.
#
# Nothing here may call out (http.send is not available) or read the
# clock: input.now is the evaluation time. Thresholds, severities and
# lists live in data.json (data.killswitch), not in rule bodies.
package killswitch.response

# decision is always defined. With nothing to do its actions are [].
default decision := {"actions": []}

decision := {
	"actions": actions,
	"severity": severity,
	"requires_approval": requires_approval,
}

# actions are the candidates that survive the break-glass filter, one
# per kind, target and scope, sorted so that the same input always gives
# the same array.
actions := pick(candidate_actions)

# pick drops the actions on break-glass principals and, of the actions
# with the same kind, target and scope, keeps one: an enforced rule's
# before a monitored one's, then the first rule by name. The engine runs
# one action per kind, target and scope anyway; this decides which. The
# first body is the common case, with nothing to drop, made cheap.
pick(candidates) := sort([a | some a in candidates]) if {
	count(break_glass_principals) == 0
	count({action_key(c) | some c in candidates}) == count(candidates)
} else := sort([a |
	ranked := sort([[action_key(c), action_rank(c), c] |
		some c in candidates
		not touches_break_glass(c)
	])
	some i, entry in ranked
	first_of_key(ranked, i)
	a := entry[2]
])

# first_of_key holds for the best ranked action of its key: sorting puts
# actions with the same key together, the best first.
first_of_key(_, 0) := true

first_of_key(ranked, i) if ranked[i - 1][0] != ranked[i][0]

action_key(a) := [a.kind, a.target.type, a.target.id, object.get(a, "scope", "")]

action_rank(a) := [mode_rank(object.get(a, "rule", "")), object.get(a, "rule", ""), a.reason]

mode_rank(rule) := 1 if modes[rule] == "monitor"

default mode_rank(_) := 0

default modes := {}

modes := data.killswitch.modes

# Break-glass principals are never acted on automatically: neither they,
# nor their sessions, nor their credentials. The registry flags them, and
# data.killswitch.break_glass.principals may name more.
break_glass_principals contains p.id if {
	some p in input.principals
	p.break_glass == true
}

break_glass_principals contains id if {
	some id in data.killswitch.break_glass.principals
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

# listed is a list of data.killswitch.lists, empty when data has none.
listed(name) := object.get(lists, name, [])

# format_listed holds when the signal's format is in that data list, by
# name or by a pattern whose * stands for any name after the colon
# ("generic:*" is every format a mapping file names).
format_listed(name) if input.signal.format in listed(name)

format_listed(name) if {
	some pattern in listed(name)
	contains(pattern, "*")
	glob.match(pattern, [":"], input.signal.format)
	not format_named_elsewhere(name)
}

# format_named_elsewhere holds when another formats list names the
# signal's format outright: a name beats a pattern, so a mapped runtime
# detector listed in runtime_formats is not also an incident by
# "generic:*" in incident_formats.
format_named_elsewhere(name) if {
	some other, formats in lists
	other != name
	endswith(other, "_formats")
	input.signal.format in formats
}

default lists := {}

lists := data.killswitch.lists

# threshold is a value of data.killswitch.thresholds.
threshold(name) := data.killswitch.thresholds[name]

# max_credential_age(kind) is the most days a credential of that kind may
# live: data.killswitch.credential_max_age_days[kind], else
# thresholds.max_credential_age_days.
max_credential_age(kind) := object.get(credential_max_age_days, kind,
	threshold("max_credential_age_days"))

default credential_max_age_days := {}

credential_max_age_days := data.killswitch.credential_max_age_days

# level is the severity data.killswitch.severities gives a scenario,
# high when it gives none.
level(scenario) := object.get(severities, scenario, "high")

default severities := {}

severities := data.killswitch.severities

# at_least(s, floor) holds when severity s is floor or above.
at_least(s, floor) if severity_rank[s] >= severity_rank[floor]

# severity is the highest a scenario claims; without one, the signal's.
default severity := "info"

severity := name if {
	count(scenario_severity) > 0
	top := max({severity_rank[s] | some s in scenario_severity})
	some name, rank in severity_rank
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
	not m.role in listed("bystander_roles")
}

implicated_ids contains p.id if some p in implicated_principals

is_human(p) if p.kind == "human"

is_non_human(p) if p.kind in listed("non_human_kinds")

# signal_kinds are the names a detector gives this event: its type, its
# finding type, its summary. Scenario lists in data match any of them.
signal_kinds contains input.signal.type if input.signal.type != ""

signal_kinds contains k if {
	k := input.signal.attributes.finding_type
	is_string(k)
}

signal_kinds contains input.signal.summary if input.signal.summary != ""

signal_kinds contains k if {
	k := input.signal.attributes.reason
	is_string(k)
}

# A detector's rule groups (Wazuh's rule.groups) name the event too.
signal_kinds contains g if {
	groups := input.signal.attributes.rule_groups
	is_string(groups)
	some g in split(groups, ",")
	g != ""
}

# signal_is(list) holds when the signal is of a kind in that data list,
# unless the source says the finding is over (see resolved): a closed
# false positive titled "MFA Fatigue" is no MFA fatigue.
signal_is(name) if {
	not resolved
	some k in signal_kinds
	k in listed(name)
}

# resolved holds when the decoder says the source reports the finding
# as dealt with: a closed incident, a dismissed or remediated risk.
resolved if input.signal.attributes.resolved == true

# source_ips are the addresses the signal says the activity came from.
source_ips contains s.value if {
	some s in input.signal.subjects
	s.type == "ip"
	s.role == "source"
}

# succeeded holds when the signal reports an outcome of success.
succeeded if lower(object.get(input.signal, ["attributes", "outcome"], "")) == "success"

active_credentials_of(id) := {c |
	some c in input.credentials
	c.principal_id == id
	c.status == "active"
}

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
	"ecs": "Elastic (ECS)",
	"falco": "Falco",
	"github_secret_scanning": "GitHub secret scanning",
	"gitguardian": "GitGuardian",
	"google_workspace": "Google Workspace",
	"guardduty": "GuardDuty",
	"ms_graph_risk": "Entra ID Protection",
	"ocsf": "OCSF detector",
	"okta": "Okta",
	"risc": "RISC transmitter",
	"sentinel": "Microsoft Sentinel",
	"splunk": "Splunk",
	"wazuh": "Wazuh",
}

default source_name := "an unnamed source"

source_name := source_names[input.signal.format]

source_name := sprintf("%s (mapped)", [trim_prefix(input.signal.format, "generic:")]) if {
	startswith(input.signal.format, "generic:")
} else := input.signal.format if {
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
