# An AI agent acted outside its declared scope. The scope is declared in
# data: agents.scopes[<principal id>] lists glob patterns of
# "<event source>:<event type>" the agent may do ("s3.amazonaws.com:Get*").
# A detector may also say so directly (a kind in lists.agent_scope_types).
# Only the agent's own sessions end and its owner is told; the person or
# team that owns it keeps every session, even when the signal names them
# too: halting the agent must not lock its owner out.
package killswitch.response

stray_agents contains p if {
	input.signal.category in listed("usage_categories")
	some p in implicated_principals
	p.kind == "agent"
	scope := agent_scopes[p.id]
	not in_scope(scope)
}

stray_agents contains p if {
	signal_is("agent_scope_types")
	some p in implicated_principals
	p.kind == "agent"
}

default agent_scopes := {}

agent_scopes := data.killswitch.agents.scopes

specific_threats contains "agent_scope" if count(stray_agents) > 0

# agent_act is what the agent did, as "<event source>:<event type>".
agent_act := sprintf("%s:%s", [
	object.get(input.signal, ["attributes", "event_source"], ""),
	input.signal.type,
])

in_scope(scope) if {
	some pattern in scope
	glob.match(pattern, [":"], agent_act)
}

scenario_severity contains level("agent_scope") if count(stray_agents) > 0

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "principal", "id": p.id},
	"scope": "all",
	"reason": sprintf("%s; halting the agent's sessions (its owner's are left alone)", [
		agent_summary(p.id),
	]),
	"rule": "agent_scope",
} if {
	some p in stray_agents
}

candidate_actions contains {
	"kind": "notify",
	"target": {"type": "principal", "id": p.id},
	"reason": sprintf("%s; tell its owner %s", [agent_summary(p.id), object.get(p, "owner", "(none)")]),
	"rule": "agent_scope",
} if {
	some p in stray_agents
}

# agent_summary reads like "support agent (agent-support) did
# iam.amazonaws.com:CreateAccessKey, outside its declared scope".
agent_summary(id) := sprintf("%s did %s, outside its declared scope", [
	principal_label(id), agent_act,
])
