package killswitch.response_test

usage_input(cred) := {
	"signal": object.union(signal("api_activity", "info", []), {
		"format": "cloudtrail",
		"type": "GetSecretValue",
	}),
	"principals": [deploy_bot],
	"sessions": [session("s-1", "svc-deploy", "deploy-bot-key")],
	"credentials": [cred],
	"now": now,
}

exposed(days) := named(object.union(credential("deploy-bot-key", "svc-deploy", "active"), {
	"days_since_exposure": days,
}))

test_exposed_key_still_in_use_is_revoked if {
	d := decide(usage_input(exposed(9)))
	targets(d.actions) == {
		["revoke_credential", "credential", "deploy-bot-key"],
		["revoke_sessions", "credential", "deploy-bot-key"],
		["notify", "principal", "svc-deploy"],
	}
	d.severity == "critical"
	some a in d.actions
	a.kind == "revoke_credential"
	a.reason == "credential deploy-bot-key of Deploy Bot (svc-deploy) was exposed 9 days ago and still works (CloudTrail shows it in use); revoking it"
}

test_exposed_key_within_the_grace_days_is_left if {
	d := decide(usage_input(exposed(2)))
	d.actions == []
}

test_never_exposed_key_is_left if {
	d := decide(usage_input(exposed(-1)))
	d.actions == []
}

test_exposed_still_valid_spares_break_glass if {
	inp := object.union(usage_input(object.union(exposed(30), {"principal_id": "p-root"})), {
		"principals": [root],
	})
	decide(inp).actions == []
}

test_scanner_validity_escalates_a_fresh_report if {
	sig := object.union(signal("secret_exposure", "high", []), {
		"format": "github_secret_scanning",
		"attributes": {"validity": "active"},
	})
	d := decide(object.union(usage_input(exposed(5)), {"signal": sig}))
	d.severity == "critical"
	targets(d.actions) == {
		["revoke_credential", "credential", "deploy-bot-key"],
		["revoke_sessions", "credential", "deploy-bot-key"],
		["notify", "principal", "svc-deploy"],
	}
	rules := {[a.kind, a.rule] | some a in d.actions}
	rules == {
		["revoke_credential", "secret_exposure"],
		["revoke_sessions", "secret_exposure"],
		["notify", "exposed_still_valid"],
	}
}

test_old_key_in_use_is_revoked_by_a_monitored_rule if {
	old := named(object.union(credential("deploy-bot-key", "svc-deploy", "active"), {"age_days": 400}))
	d := decide(usage_input(old))
	targets(d.actions) == {["revoke_credential", "credential", "deploy-bot-key"]}
	d.actions[0].rule == "max_credential_age"
	data.killswitch.modes.max_credential_age == "monitor"
	d.severity == "low"
}

test_old_key_named_by_a_threat_is_not_max_age if {
	old := named(object.union(credential("deploy-bot-key", "svc-deploy", "active"), {"age_days": 400}))
	inp := object.union(usage_input(old), {"signal": signal("threat", "low", [])})
	every a in decide(inp).actions {
		a.rule != "max_credential_age"
	}
}
