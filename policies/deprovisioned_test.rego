package killswitch.response_test

gone_input(p, sig) := {
	"signal": sig,
	"principals": [p],
	"sessions": [session("s-1", p.id, "")],
	"credentials": [credential("k-1", p.id, "active"), credential("k-2", p.id, "revoked")],
	"now": now,
}

test_disabled_principal_signing_in_is_cut_off if {
	p := object.union(alice, {"status": "disabled"})
	d := decide(gone_input(p, signal("authentication", "info", [])))
	targets(d.actions) == {
		["revoke_sessions", "principal", "p-alice"],
		["revoke_credential", "credential", "k-1"],
	}
	d.severity == "high"
	some a in d.actions
	a.reason == "Alice Smith (p-alice) is disabled; ending the sessions still live"
}

test_deactivation_event_cuts_the_target_not_the_admin if {
	admin := object.union(root, {"id": "p-admin", "break_glass": false})
	target := object.union(alice, {"matched_by": [{"type": "email", "value": "alice@example.com", "role": "target"}]})
	sig := object.union(signal("account_change", "info", []), {"format": "okta", "type": "user.lifecycle.deactivate"})
	inp := object.union(gone_input(target, sig), {"principals": [admin, target], "sessions": [session("s-1", "p-alice", ""), session("s-a", "p-admin", "")]})
	d := decide(inp)
	targets(d.actions) == {
		["revoke_sessions", "principal", "p-alice"],
		["revoke_credential", "credential", "k-1"],
	}
}

test_active_principal_is_not_deprovisioned if {
	decide(gone_input(alice, signal("authentication", "info", []))).actions == []
}

test_deprovisioned_spares_break_glass if {
	p := object.union(root, {"status": "disabled"})
	decide(gone_input(p, signal("authentication", "info", []))).actions == []
}
