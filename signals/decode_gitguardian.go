package signals

import (
	"fmt"
	"strings"
)

// gitGuardianDecoder decodes a GitGuardian custom webhook about an
// incident (a secret found in code).
//
// Category: incident_resolved and incident_ignored, and any event about
// an incident whose status is resolved or ignored, are other; every
// other incident event (incident_triggered, incident_regression,
// incident_assigned, new_occurrence, …) is secret_exposure.
//
// Severity is incident.severity (critical, high, medium, low, info).
// "unknown", a missing or another value reads as high: an unclassified
// leaked secret must be treated as live.
//
// The dedup key is gitguardian:<incident.id>:<action>. The time is the
// webhook's timestamp, else incident.date.
//
// incident.secret_hash is GitGuardian's own fingerprint of the secret and
// becomes a secret_hash subject as given; present with another type than
// string, it is a FieldError.
type gitGuardianDecoder struct{}

var gitGuardianSeverities = map[string]Severity{
	"critical": SeverityCritical, "high": SeverityHigh,
	"medium": SeverityMedium, "low": SeverityLow, "info": SeverityInfo,
}

var gitGuardianClosed = map[string]bool{
	"incident_resolved": true, "incident_ignored": true,
	"resolved": true, "ignored": true,
}

// Format returns FormatGitGuardian.
func (gitGuardianDecoder) Format() Format { return FormatGitGuardian }

// Detect accepts a webhook whose source is "GitGuardian" and that
// carries an incident object.
func (gitGuardianDecoder) Detect(doc map[string]any) bool {
	return str(doc, "source") == "GitGuardian" && obj(doc, "incident") != nil
}

// markers are the fields Detect keys on, for nearMiss.
func (gitGuardianDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	source := marker{path: "source", problem: `not "GitGuardian"`,
		ok: func(v any) bool { return v == "GitGuardian" }}
	return doc, []marker{source, objectMarker("incident")}
}

// Decode normalises a GitGuardian incident webhook.
func (gitGuardianDecoder) Decode(doc map[string]any) (Signal, error) {
	f := FormatGitGuardian
	id, err := requireText(f, doc, "incident.id")
	if err != nil {
		return Signal{}, err
	}
	action, err := requireText(f, doc, "action")
	if err != nil {
		return Signal{}, err
	}
	t, _, err := firstTime(f, doc, "timestamp", "incident.date")
	if err != nil {
		return Signal{}, err
	}
	hash, err := secretText(f, doc, "incident.secret_hash")
	if err != nil {
		return Signal{}, err
	}
	return Signal{
		Format:     f,
		Category:   gitGuardianCategory(doc, action),
		Type:       action,
		Severity:   gitGuardianSeverity(str(doc, "incident.severity")),
		Time:       t,
		DedupKey:   fmt.Sprintf("%s:%s:%s", f, id, action),
		Subjects:   gitGuardianSubjects(doc, hash),
		Summary:    gitGuardianSummary(doc),
		Attributes: gitGuardianAttributes(doc),
	}, nil
}

func gitGuardianCategory(doc map[string]any, action string) Category {
	status := strings.ToLower(str(doc, "incident.status"))
	if gitGuardianClosed[action] || gitGuardianClosed[status] {
		return CategoryOther
	}
	return CategorySecretExposure
}

func gitGuardianSeverity(label string) Severity {
	if s, ok := gitGuardianSeverities[strings.ToLower(label)]; ok {
		return s
	}
	return SeverityHigh
}

// gitGuardianSubjects names the secret's fingerprint and the member the
// incident is addressed to. target_user is "Display Name e-mail", or a
// bare name (then no subject); the assignee is a responder, a bystander,
// and is not named.
func gitGuardianSubjects(doc map[string]any, hash string) []Subject {
	var l subjectList
	l.add(SubjectSecretHash, hash, RoleCredential)
	l.add(SubjectEmail, emailIn(str(doc, "target_user")), RoleTarget)
	return l.list()
}

func gitGuardianSummary(doc map[string]any) string {
	name := firstText(doc, "incident.detector.display_name",
		"incident.detector.name")
	msg := str(doc, "message")
	if name == "" {
		return msg
	}
	return strings.TrimSpace(name + ": " + msg)
}

func gitGuardianAttributes(doc map[string]any) map[string]any {
	a := attrs{}
	a.text("detector", str(doc, "incident.detector.name"))
	a.text("validity", str(doc, "incident.validity"))
	a.flag("secret_revoked", doc, "incident.secret_revoked")
	a.text("status", str(doc, "incident.status"))
	a.text("severity_label", str(doc, "incident.severity"))
	return a
}
