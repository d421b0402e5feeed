# A transmitter says a credential of the subject changed (CAEP
# credential-change). When it was revoked or deleted there (change_type
# in lists.revoking_credential_changes), the matching active credentials
# here are revoked too, with the sessions they back; which kinds match a
# CAEP credential_type is lists.caep_credential_kinds. When a password was
# updated, the sessions the old password opened end.
package killswitch.response

credential_change if input.signal.category == "credential_change"

change_type := object.get(input.signal, ["attributes", "change_type"], "")

changed_kinds := object.get(
	object.get(lists, "caep_credential_kinds", {}),
	object.get(input.signal, ["attributes", "credential_type"], ""),
	[],
)

changed_credentials contains c if {
	credential_change
	some p in implicated_principals
	some c in active_credentials_of(p.id)
	c.kind in changed_kinds
}

scenario_severity contains level("credential_change") if count(changed_credentials) > 0

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("%s; revoking it here too", [change_summary(c)]),
	"rule": "credential_change",
} if {
	change_type in listed("revoking_credential_changes")
	some c in changed_credentials
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "credential", "id": c.id},
	"scope": "all",
	"reason": sprintf("%s; ending every session it backs", [change_summary(c)]),
	"rule": "credential_change",
} if {
	password_updated_or_revoked
	some c in changed_credentials
}

password_updated_or_revoked if change_type in listed("revoking_credential_changes")

password_updated_or_revoked if {
	change_type == "update"
	"password" in changed_kinds
}

# change_summary reads like "CAEP transmitter reported a revoke of the
# password of Alice Smith (p-alice), credential alice-password".
change_summary(c) := sprintf("%s reported a %s of the %s of %s, credential %s", [
	source_name,
	change_type,
	input.signal.attributes.credential_type,
	principal_label(c.principal_id),
	c.id,
])
