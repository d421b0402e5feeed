# Attacks on a sign-in.
#
# MFA fatigue: someone who has a person's password floods them with push
# prompts (a kind in lists.mfa_fatigue_types). Every session of the person
# ends and new ones are refused for thresholds.mfa_fatigue_lock_ttl, long
# enough for them to reset the password.
#
# Brute force: repeated failed sign-ins, a password spray or an account
# locked for too many attempts (lists.brute_force_types). New sessions from
# the attacking addresses are refused for thresholds.brute_force_lock_ttl
# and the targets are told; when the signal reports a success, the
# targets' sessions end too.
package killswitch.response

mfa_fatigue if signal_is("mfa_fatigue_types")

specific_threats contains "mfa_fatigue" if mfa_fatigue

fatigue_victims contains p if {
	mfa_fatigue
	some p in implicated_principals
	is_human(p)
}

scenario_severity contains level("mfa_fatigue") if count(fatigue_victims) > 0

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "principal", "id": p.id},
	"scope": "all",
	"reason": sprintf("%s; ending all their sessions", [fatigue_summary(p.id)]),
	"rule": "mfa_fatigue",
} if {
	some p in fatigue_victims
}

candidate_actions contains {
	"kind": "lock",
	"target": {"type": "principal", "id": p.id},
	"ttl": threshold("mfa_fatigue_lock_ttl"),
	"reason": sprintf("%s; refusing new sessions for %s while the password is reset", [
		fatigue_summary(p.id), threshold("mfa_fatigue_lock_ttl"),
	]),
	"rule": "mfa_fatigue",
} if {
	some p in fatigue_victims
}

fatigue_summary(id) := sprintf("%s reported MFA push fatigue (%s) against %s, whose password is known", [
	source_name, input.signal.type, principal_label(id),
])

brute_force if signal_is("brute_force_types")

specific_threats contains "brute_force" if brute_force

scenario_severity contains level("brute_force") if brute_force

scenario_severity contains level("brute_force_success") if {
	brute_force
	succeeded
}

candidate_actions contains {
	"kind": "lock",
	"target": {"type": "origin", "id": ip},
	"ttl": threshold("brute_force_lock_ttl"),
	"reason": sprintf("%s reported %s from %s; refusing new sessions from it for %s", [
		source_name, brute_force_name, ip, threshold("brute_force_lock_ttl"),
	]),
	"rule": "brute_force",
} if {
	brute_force
	some ip in source_ips
}

candidate_actions contains {
	"kind": "notify",
	"target": {"type": "principal", "id": p.id},
	"reason": sprintf("%s reported %s against %s", [
		source_name, brute_force_name, principal_label(p.id),
	]),
	"rule": "brute_force",
} if {
	brute_force
	some p in implicated_principals
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "principal", "id": p.id},
	"scope": "all",
	"reason": sprintf("%s reported %s against %s, and it succeeded; ending all their sessions", [
		source_name, brute_force_name, principal_label(p.id),
	]),
	"rule": "brute_force",
} if {
	brute_force
	succeeded
	some p in implicated_principals
}

brute_force_name := input.signal.summary if {
	input.signal.summary != ""
} else := input.signal.type
