package killswitch.response_test

api_call(ip) := {
	"format": "cloudtrail",
	"category": "api_activity",
	"type": "GetSecretValue",
	"severity": "info",
	"time": now,
	"dedup_key": "ct-1",
	"subjects": [
		{"type": "access_key_id", "value": "AKIADEPLOY", "role": "credential"},
		{"type": "ip", "value": ip, "role": "source"},
	],
	"attributes": {"event_source": "secretsmanager.amazonaws.com"},
}

network_input(ip, creds) := {
	"signal": api_call(ip),
	"principals": [object.union(deploy_bot, {"matched_by": [{"type": "access_key_id", "value": "AKIADEPLOY", "role": "credential"}]})],
	"sessions": [object.union(session("s-1", "svc-deploy", "deploy-bot-key"), {"origin": {"ip": "203.0.113.50"}})],
	"credentials": creds,
	"now": now,
}

bot_key := named(credential("deploy-bot-key", "svc-deploy", "active"))

test_service_account_from_a_new_network_loses_the_key if {
	d := decide(network_input("198.51.100.66", [bot_key]))
	targets(d.actions) == {
		["revoke_credential", "credential", "deploy-bot-key"],
		["revoke_sessions", "credential", "deploy-bot-key"],
		["lock", "origin", "198.51.100.66"],
	}
	some a in d.actions
	a.kind == "revoke_credential"
	a.reason == "CloudTrail saw Deploy Bot (svc-deploy) call GetSecretValue from 198.51.100.66, outside its known networks; revoking credential deploy-bot-key"
	d.severity == "high"
}

test_known_cidr_is_not_new if {
	decide(network_input("10.20.30.40", [bot_key])).actions == []
}

test_address_of_a_live_session_is_not_new if {
	decide(network_input("203.0.113.50", [bot_key])).actions == []
}

test_per_principal_network_from_data_is_not_new if {
	d := decide(network_input("198.51.100.66", [bot_key])) with data.killswitch.networks.by_principal as {"svc-deploy": ["198.51.100.0/24"]}
	d.actions == []
}

test_without_a_named_key_the_owner_is_told if {
	d := decide(network_input("198.51.100.66", [credential("deploy-bot-key", "svc-deploy", "active")]))
	targets(d.actions) == {["notify", "principal", "svc-deploy"]}
}

test_new_network_spares_break_glass if {
	inp := object.union(network_input("198.51.100.66", [bot_key]), {"principals": [object.union(deploy_bot, {"break_glass": true})]})
	decide(inp).actions == []
}

test_a_person_from_a_new_network_is_not_this_rule if {
	inp := object.union(network_input("198.51.100.66", []), {"principals": [object.union(alice, {"matched_by": [{"type": "access_key_id", "value": "AKIADEPLOY", "role": "credential"}]})]})
	decide(inp).actions == []
}

test_a_service_account_tried_from_a_new_network_is_not_calling if {
	tried := object.union(network_input("198.51.100.66", [bot_key]), {
		"signal": object.union(api_call("198.51.100.66"), {
			"category": "authentication",
			"subjects": [
				{"type": "username", "value": "deploy-bot", "role": "target"},
				{"type": "ip", "value": "198.51.100.66", "role": "source"},
			],
		}),
		"principals": [object.union(deploy_bot, {"matched_by": [
			{"type": "username", "value": "deploy-bot", "role": "target"},
		]})],
	})
	decide(tried).actions == []
}
