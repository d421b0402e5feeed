# The issuer of an account says it disabled the account (RISC
# account-disabled) or that its credential is compromised (RISC
# credential-compromise). Whoever holds the account's sessions or
# credentials elsewhere is cut off: every session ends, every active
# credential is revoked, and the principal is disabled.
package killswitch.response

compromise_events := {
	"account_disabled": "disabled the account of",
	"credential_compromise": "reported a compromised credential of",
}

account_compromise if input.signal.category in object.keys(compromise_events)

scenario_severity contains level(input.signal.category) if account_compromise

compromised_principals contains p if {
	account_compromise
	some p in implicated_principals
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "principal", "id": p.id},
	"scope": "all",
	"reason": sprintf("%s; ending all their sessions", [
		compromise_summary(p.id),
	]),
	"rule": "account_compromise",
} if {
	some p in compromised_principals
}

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("%s; revoking their credential %s", [
		compromise_summary(p.id), c.id,
	]),
	"rule": "account_compromise",
} if {
	some p in compromised_principals
	some c in input.credentials
	c.principal_id == p.id
	c.status == "active"
}

candidate_actions contains {
	"kind": "disable_principal",
	"target": {"type": "principal", "id": p.id},
	"reason": sprintf("%s; disabling the principal everywhere", [
		compromise_summary(p.id),
	]),
	"rule": "account_compromise",
} if {
	some p in compromised_principals
}

# compromise_summary reads like "RISC transmitter disabled the account of
# Alice Smith (p-alice)".
compromise_summary(id) := sprintf("%s %s %s", [
	source_name,
	compromise_events[input.signal.category],
	principal_label(id),
])
