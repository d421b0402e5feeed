package signals

import "strings"

// oktaDecoder decodes one Okta System Log event, as returned by
// /api/v1/logs or sent by an event hook.
//
// Category: a threat report is threat; user.session.* and
// user.authentication.* are authentication; user.account.* and
// user.lifecycle.* are account_change; anything else is other. Threat
// reports are security.threat.detected, security.attack.start,
// user.account.report_suspicious_activity_by_enduser, and any event
// whose debugContext.debugData.threatSuspected is "true".
//
// Severity follows Okta's own level: DEBUG and INFO are info, WARN is
// medium, ERROR is high (a missing or unknown level reads as info). A
// threat report is at least high.
//
// The dedup key is okta:<uuid>; the time is published, which must be an
// RFC 3339 time.
type oktaDecoder struct{}

var oktaThreatTypes = map[string]bool{
	"security.threat.detected":                           true,
	"security.attack.start":                              true,
	"user.account.report_suspicious_activity_by_enduser": true,
}

// Format returns FormatOkta.
func (oktaDecoder) Format() Format { return FormatOkta }

// Detect accepts a document with eventType, uuid, published and an
// actor object: the fields every System Log event carries.
func (oktaDecoder) Detect(doc map[string]any) bool {
	_, published := lookup(doc, "published")
	return str(doc, "eventType") != "" && str(doc, "uuid") != "" &&
		published && obj(doc, "actor") != nil
}

// markers are the fields Detect keys on, for nearMiss.
func (oktaDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	return doc, []marker{stringMarker("eventType"), stringMarker("uuid"),
		presentMarker("published"), objectMarker("actor")}
}

// Decode normalises an Okta event.
func (oktaDecoder) Decode(doc map[string]any) (Signal, error) {
	t, err := rfc3339At(FormatOkta, doc, "published")
	if err != nil {
		return Signal{}, err
	}
	eventType := str(doc, "eventType")
	suspected, _ := flag(doc, "debugContext.debugData.threatSuspected")
	threat := oktaThreatTypes[eventType] || suspected
	return Signal{
		Format:     FormatOkta,
		Category:   oktaCategory(eventType, threat),
		Type:       eventType,
		Severity:   oktaSeverity(str(doc, "severity"), threat),
		Time:       t,
		DedupKey:   "okta:" + str(doc, "uuid"),
		Subjects:   oktaSubjects(doc),
		Summary:    str(doc, "displayMessage"),
		Attributes: oktaAttributes(doc, threat),
	}, nil
}

func oktaCategory(eventType string, threat bool) Category {
	switch {
	case threat:
		return CategoryThreat
	case hasAnyPrefix(eventType, "user.session.", "user.authentication."):
		return CategoryAuthentication
	case hasAnyPrefix(eventType, "user.account.", "user.lifecycle."):
		return CategoryAccountChange
	}
	return CategoryOther
}

func oktaSeverity(level string, threat bool) Severity {
	s := SeverityInfo
	switch strings.ToUpper(level) {
	case "WARN":
		s = SeverityMedium
	case "ERROR":
		s = SeverityHigh
	}
	if threat && s.Rank() < SeverityHigh.Rank() {
		s = SeverityHigh
	}
	return s
}

// oktaSubjects names the actor, its session, the users it acted on, and
// where it came from.
func oktaSubjects(doc map[string]any) []Subject {
	var l subjectList
	oktaPrincipal(&l, obj(doc, "actor"), RoleActor)
	for _, p := range []string{"externalSessionId", "rootSessionId"} {
		id := str(doc, "authenticationContext."+p)
		l.add(SubjectSessionID, oktaValue(id), RoleActor)
	}
	for _, target := range objects(doc, "target") {
		oktaPrincipal(&l, target, RoleTarget)
	}
	l.addIP(str(doc, "client.ipAddress"), RoleSource)
	l.add(SubjectDeviceID, oktaValue(str(doc, "device.id")), RoleSource)
	return l.list()
}

// oktaPrincipal adds an actor or target entry. A User gives its id and
// its login (alternateId: an e-mail or a username); an OAuth client
// (PublicClientApp) gives its client id. Other entries (apps, policies,
// authenticator enrolments) name no principal and are skipped.
func oktaPrincipal(l *subjectList, entry map[string]any, r Role) {
	id := oktaValue(str(entry, "id"))
	switch str(entry, "type") {
	case "User":
		l.add(SubjectUserID, id, r)
		l.addLogin(oktaValue(str(entry, "alternateId")), r)
	case "PublicClientApp":
		l.add(SubjectClientID, id, r)
	}
}

// oktaValue drops the placeholders Okta writes for an absent value.
func oktaValue(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "unknown", "null":
		return ""
	}
	return s
}

func oktaAttributes(doc map[string]any, threat bool) map[string]any {
	a := attrs{}
	a.lower("outcome", str(doc, "outcome.result"))
	a.text("reason", str(doc, "outcome.reason"))
	if threat {
		a["threat_suspected"] = true
	}
	return a
}
