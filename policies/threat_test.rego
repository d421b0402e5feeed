package killswitch.response_test

threat_input(severity, principals, credentials) := {
	"signal": signal("threat", severity, []),
	"principals": principals,
	"sessions": [
		session("s-1", "p-alice", ""),
		session("s-2", "svc-deploy", "deploy-bot-key"),
	],
	"credentials": credentials,
	"now": now,
}

bot_credentials := [
	named(credential("deploy-bot-key", "svc-deploy", "active")),
	credential("deploy-bot-other", "svc-deploy", "active"),
]

test_threat_high_against_human_ends_all_sessions if {
	d := decide(threat_input("high", [alice], []))
	targets(d.actions) == {["revoke_sessions", "principal", "p-alice"]}
	d.actions[0].scope == "all"
	d.actions[0].rule == "threat"
	d.severity == "high"
}

test_threat_reason_names_detector_finding_and_principal if {
	d := decide(threat_input("critical", [alice], []))
	d.actions[0].reason == "GuardDuty reported UnauthorizedAccess:IAMUser/TorIPCaller (critical) against Alice Smith (p-alice); ending all their sessions"
}

test_threat_human_keeps_credentials if {
	creds := [named(credential("alice-key", "p-alice", "active"))]
	d := decide(threat_input("critical", [alice], creds))
	targets(d.actions) == {["revoke_sessions", "principal", "p-alice"]}
}

test_threat_critical_against_service_account_revokes_named_credential if {
	d := decide(threat_input("critical", [deploy_bot], bot_credentials))
	targets(d.actions) == {
		["revoke_credential", "credential", "deploy-bot-key"],
		["revoke_sessions", "credential", "deploy-bot-key"],
		["revoke_sessions", "principal", "svc-deploy"],
	}
	d.severity == "critical"
}

test_threat_against_agent_without_named_credential_ends_sessions_only if {
	agent := object.union(deploy_bot, {"kind": "agent"})
	creds := [credential("deploy-bot-key", "svc-deploy", "active")]
	d := decide(threat_input("high", [agent], creds))
	targets(d.actions) == {["revoke_sessions", "principal", "svc-deploy"]}
}

test_threat_medium_only_notifies if {
	d := decide(threat_input("medium", [alice, deploy_bot], bot_credentials))
	targets(d.actions) == {
		["notify", "principal", "p-alice"],
		["notify", "principal", "svc-deploy"],
	}
	d.severity == "medium"
}

test_threat_low_only_notifies if {
	d := decide(threat_input("low", [alice], []))
	targets(d.actions) == {["notify", "principal", "p-alice"]}
}

test_threat_leaves_source_bystander_alone if {
	ci := object.union(deploy_bot, {"matched_by": [
		{"type": "ip", "value": "10.0.0.8", "role": "source"},
	]})
	d := decide(threat_input("critical", [alice, ci], bot_credentials))
	targets(d.actions) == {["revoke_sessions", "principal", "p-alice"]}
}

test_threat_spares_break_glass if {
	d := decide(threat_input("critical", [root], []))
	d.actions == []
}

test_threat_needs_the_category if {
	inp := object.union(threat_input("critical", [alice], []), {
		"signal": signal("authentication", "critical", []),
	})
	decide(inp).actions == []
}
