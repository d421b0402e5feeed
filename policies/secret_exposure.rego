# A secret scanner found a credential where it should not be: GitHub
# secret scanning, GitGuardian, or a TruffleHog-style scanner whose
# verified finding arrives as an OCSF Detection Finding of a type listed in
# data (lists.secret_finding_types). Every active credential the signal
# named is revoked, and every live session it backs is ended: rotating a
# secret alone leaves its sessions alive. A scanner that says the secret
# still works (attributes.validity in lists.valid_secret_states) raises
# the severity.
package killswitch.response

secret_exposure if input.signal.category == "secret_exposure"

secret_exposure if {
	input.signal.category == "threat"
	signal_is("secret_finding_types")
}

specific_threats contains "secret_exposure" if secret_exposure

scenario_severity contains level("secret_exposure") if secret_exposure

scenario_severity contains level("exposed_still_valid") if {
	secret_exposure
	secret_still_valid
}

# secret_still_valid holds when the scanner checked the secret and it
# still works.
secret_still_valid if {
	v := input.signal.attributes.validity
	is_string(v)
	lower(v) in listed("valid_secret_states")
}

exposed_credentials contains c if {
	secret_exposure
	some c in named_credentials
}

candidate_actions contains {
	"kind": "revoke_credential",
	"target": {"type": "credential", "id": c.id},
	"reason": sprintf("%s; revoking it", [exposure_summary(c)]),
	"rule": "secret_exposure",
} if {
	some c in exposed_credentials
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "credential", "id": c.id},
	"scope": "all",
	"reason": sprintf("%s; ending every session it backs", [
		exposure_summary(c),
	]),
	"rule": "secret_exposure",
} if {
	some c in exposed_credentials
}

# exposure_summary reads like "GitHub secret scanning found credential
# deploy-bot-pat of Deploy Bot (svc-deploy) exposed in acme/payments-api".
exposure_summary(c) := sprintf("%s found credential %s of %s exposed%s", [
	source_name,
	c.id,
	principal_label(c.principal_id),
	exposure_place(c),
])

# exposure_place is where the signal says the secret was found, else where
# the registry says it was exposed, else nothing.
exposure_place(_) := sprintf(" in %s", [concat(", ", exposure_locations)]) if {
	count(exposure_locations) > 0
}

exposure_place(c) := sprintf(" in %s", [c.exposure.where]) if {
	count(exposure_locations) == 0
	c.exposure.where != ""
}

default exposure_place(_) := ""

exposure_locations := sort([s.value |
	some s in input.signal.subjects
	s.role == "location"
])
