package killswitch.response_test

exposure_signal := {
	"format": "github_secret_scanning",
	"category": "secret_exposure",
	"type": "secret_scanning_alert.created",
	"severity": "high",
	"time": now,
	"dedup_key": "gh-1",
	"subjects": [
		{"type": "secret_hash", "value": "sha256:9f86d0", "role": "credential"},
		{"type": "repository", "value": "acme/payments-api", "role": "location"},
	],
}

exposure_input(credentials) := {
	"signal": exposure_signal,
	"principals": [deploy_bot],
	"sessions": [
		session("s-1", "svc-deploy", "deploy-bot-pat"),
		session("s-2", "svc-deploy", "deploy-bot-ssh"),
	],
	"credentials": credentials,
	"now": now,
}

test_secret_exposure_revokes_named_credential_and_its_sessions if {
	d := decide(exposure_input([
		named(credential("deploy-bot-pat", "svc-deploy", "active")),
		credential("deploy-bot-ssh", "svc-deploy", "active"),
	]))
	targets(d.actions) == {
		["revoke_credential", "credential", "deploy-bot-pat"],
		["revoke_sessions", "credential", "deploy-bot-pat"],
	}
	d.severity == "high"
	d.requires_approval == false
}

test_secret_exposure_reason_names_source_credential_and_place if {
	d := decide(exposure_input([named(credential("deploy-bot-pat", "svc-deploy", "active"))]))
	some a in d.actions
	a.kind == "revoke_credential"
	a.reason == "GitHub secret scanning found credential deploy-bot-pat of Deploy Bot (svc-deploy) exposed in acme/payments-api; revoking it"
	a.rule == "secret_exposure"
}

test_secret_exposure_revokes_sessions_in_every_scope if {
	d := decide(exposure_input([named(credential("deploy-bot-pat", "svc-deploy", "active"))]))
	some a in d.actions
	a.kind == "revoke_sessions"
	a.scope == "all"
	endswith(a.reason, "; ending every session it backs")
}

test_secret_exposure_place_falls_back_to_registry if {
	c := object.union(
		named(credential("deploy-bot-pat", "svc-deploy", "active")),
		{"exposure": {"at": now, "source": "gitguardian", "where": "pastebin"}},
	)
	inp := object.union(exposure_input([c]), {"signal": object.union(exposure_signal, {
		"format": "gitguardian",
		"subjects": [{"type": "secret_hash", "value": "sha256:9f86d0", "role": "credential"}],
	})})
	some a in decide(inp).actions
	startswith(a.reason, "GitGuardian found credential deploy-bot-pat of Deploy Bot (svc-deploy) exposed in pastebin;")
}

test_secret_exposure_ignores_credential_the_signal_did_not_name if {
	d := decide(exposure_input([credential("deploy-bot-pat", "svc-deploy", "active")]))
	d.actions == []
}

test_secret_exposure_ignores_revoked_credential if {
	d := decide(exposure_input([named(credential("deploy-bot-pat", "svc-deploy", "revoked"))]))
	d.actions == []
}

test_secret_exposure_needs_the_category if {
	inp := object.union(
		exposure_input([named(credential("deploy-bot-pat", "svc-deploy", "active"))]),
		{"signal": object.union(exposure_signal, {"category": "api_activity"})},
	)
	decide(inp).actions == []
}

test_secret_exposure_spares_break_glass_credential if {
	inp := object.union(
		exposure_input([named(credential("root-pat", "p-root", "active"))]),
		{"principals": [root], "sessions": [session("s-9", "p-root", "root-pat")]},
	)
	decide(inp).actions == []
}
