# Two ages of a credential the signal names.
#
# Exposed and still valid: the credential leaked
# thresholds.exposed_still_valid_days or more ago, is still active, and
# this signal shows that it still works: a scanner checked it (validity in
# lists.valid_secret_states), or it was used (the signal is of a category
# in lists.usage_categories). It is revoked with every session it backs,
# and its owner is told. A fresh exposure report is secret_exposure's; this
# rule then only tells the owner and raises the severity.
#
# Past its maximum age: the credential is older than
# thresholds.max_credential_age_days and the signal shows it in use. It is
# revoked; data.json ships this rule in monitor mode, so that the
# revocation is planned and audited but not executed until a person turns
# it to enforce.
package killswitch.response

still_valid_evidence if secret_still_valid

still_valid_evidence if input.signal.category in listed("usage_categories")

stale_exposed(c) if {
	c.status == "active"
	c.days_since_exposure >= threshold("exposed_still_valid_days")
}

exposed_still_valid contains c if {
	still_valid_evidence
	some c in named_credentials
	c.principal_id in implicated_ids
	stale_exposed(c)
}

scenario_severity contains level("exposed_still_valid") if {
	count(exposed_still_valid) > 0
}

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("%s; revoking it", [stale_summary(c)]),
	"rule": "exposed_still_valid",
} if {
	not secret_exposure
	some c in exposed_still_valid
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "credential", "id": c.id},
	"scope": "all",
	"reason": sprintf("%s; ending every session it backs", [stale_summary(c)]),
	"rule": "exposed_still_valid",
} if {
	not secret_exposure
	some c in exposed_still_valid
}

candidate_actions contains {
	"kind": "notify",
	"target": {"type": "principal", "id": c.principal_id},
	"reason": sprintf("%s; tell the owner why it was not rotated", [stale_summary(c)]),
	"rule": "exposed_still_valid",
} if {
	some c in exposed_still_valid
}

# stale_summary reads like "credential deploy-bot-pat of Deploy Bot
# (deploy-bot) was exposed 9 days ago and still works (CloudTrail shows
# it in use)".
stale_summary(c) := sprintf("credential %s of %s was exposed %d days ago and still works (%s)", [
	c.id,
	principal_label(c.principal_id),
	c.days_since_exposure,
	validity_evidence,
])

validity_evidence := sprintf("%s says it is %s", [source_name, input.signal.attributes.validity]) if {
	secret_still_valid
} else := sprintf("%s shows it in use", [source_name])

too_old contains c if {
	input.signal.category in listed("usage_categories")
	some c in named_credentials
	c.principal_id in implicated_ids
	c.age_days > max_credential_age(c.kind)
}

scenario_severity contains level("max_credential_age") if count(too_old) > 0

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("credential %s of %s is %d days old, past the maximum of %d, and still in use; revoking it", [
		c.id,
		principal_label(c.principal_id),
		c.age_days,
		max_credential_age(c.kind),
	]),
	"rule": "max_credential_age",
} if {
	some c in too_old
}
