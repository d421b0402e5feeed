package killswitch.response_test

support_agent := {
	"id": "agent-support",
	"kind": "agent",
	"display_name": "Support Agent",
	"owner": "p-alice",
	"status": "active",
	"break_glass": false,
	"matched_by": [{"type": "arn", "value": "arn:aws:sts::1:assumed-role/support-agent/run-7", "role": "actor"}],
}

alice_as_target := object.union(alice, {"matched_by": [{"type": "email", "value": "alice@example.com", "role": "target"}]})

agent_call(source, name) := {
	"format": "cloudtrail",
	"category": "api_activity",
	"type": name,
	"severity": "info",
	"time": now,
	"dedup_key": "ct-agent",
	"subjects": [],
	"attributes": {"event_source": source},
}

agent_input(source, name) := {
	"signal": agent_call(source, name),
	"principals": [support_agent, alice_as_target],
	"sessions": [session("s-agent", "agent-support", ""), session("s-alice", "p-alice", "")],
	"now": now,
}

scopes := {"agent-support": ["s3.amazonaws.com:Get*", "bedrock.amazonaws.com:*"]}

test_agent_outside_its_scope_is_halted_but_not_its_owner if {
	d := decide(agent_input("iam.amazonaws.com", "CreateAccessKey")) with data.killswitch.agents.scopes as scopes
	targets(d.actions) == {
		["revoke_sessions", "principal", "agent-support"],
		["notify", "principal", "agent-support"],
	}
	d.severity == "high"
	some a in d.actions
	a.kind == "revoke_sessions"
	a.reason == "Support Agent (agent-support) did iam.amazonaws.com:CreateAccessKey, outside its declared scope; halting the agent's sessions (its owner's are left alone)"
}

test_agent_inside_its_scope_does_nothing if {
	d := decide(agent_input("s3.amazonaws.com", "GetObject")) with data.killswitch.agents.scopes as scopes
	d.actions == []
}

test_agent_without_a_declared_scope_is_not_judged if {
	decide(agent_input("iam.amazonaws.com", "CreateAccessKey")).actions == []
}

test_detector_says_agent_strayed if {
	sig := object.union(signal("threat", "medium", []), {"attributes": {"finding_type": "Agent Out Of Scope"}})
	d := decide(object.union(agent_input("", ""), {"signal": sig}))
	targets(d.actions) == {
		["revoke_sessions", "principal", "agent-support"],
		["notify", "principal", "agent-support"],
	}
}

test_agent_scope_spares_break_glass if {
	inp := object.union(agent_input("iam.amazonaws.com", "CreateAccessKey"), {
		"principals": [object.union(support_agent, {"break_glass": true})],
	})
	d := decide(inp) with data.killswitch.agents.scopes as scopes
	d.actions == []
}
