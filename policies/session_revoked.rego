# A transmitter says it revoked a session (CAEP session-revoked). The same
# session is revoked here too, so that the registry and every enforcement
# point that asks it agree with the issuer.
package killswitch.response

session_revoked if input.signal.category == "session_revoked"

scenario_severity contains level("session_revoked") if session_revoked

revoked_session_ids contains s.value if {
	session_revoked
	some s in input.signal.subjects
	s.type == "session_id"
	s.value != ""
}

candidate_actions contains {
	"kind": "revoke_sessions",
	"target": {"type": "session", "id": s.id},
	"reason": sprintf("%s revoked %s session %s of %s; revoking it here", [
		source_name,
		s.provider,
		id,
		principal_label(s.principal_id),
	]),
	"rule": "session_revoked",
} if {
	some id in revoked_session_ids
	some s in input.sessions
	s.status == "active"
	session_named(s, id)
}

session_named(s, id) if s.id == id

session_named(s, id) if s.external_id == id
