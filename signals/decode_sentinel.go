package signals

import (
	"fmt"
	"path"
	"strings"
)

// sentinelDecoder decodes one Microsoft Sentinel incident: the ARM
// resource (type Microsoft.SecurityInsights/incidents) that the
// incidents API returns, or the same resource in the "object" of the
// body an automation rule sends a playbook ({"objectSchemaType":
// "Incident", "object": {...}}).
//
// Category: a Closed incident is other, whatever its classification
// (FalsePositive, BenignPositive, TruePositive, Undetermined): someone
// has dealt with it, and shipped policies do nothing on it. New, Active
// or any other status is threat. The status and classification are kept
// as attributes (status "closed", classification "FalsePositive") so
// that a closed incident shows as closed, and a closed one has the
// resolved attribute true, so that no policy takes it by its title for
// the scenario it names ("MFA Fatigue").
//
// Severity: High, Medium, Low and Informational map to high, medium,
// low and info; another value reads as high (kept in severity_label), an
// unclassified incident being treated as urgent.
//
// The time is properties.lastModifiedTimeUtc, else createdTimeUtc; the
// dedup key is sentinel:<name>:<that time>, each update of the incident
// (closed, raised) being a new alert.
//
// Subjects come from properties.relatedEntities, which the automation
// body carries (a GET of the incident alone does not): an Account entity
// is the target, by userPrincipalName (accountName@upnSuffix) and
// aadUserId, or by accountName alone; so is a Mailbox entity, by its
// upn, mailboxPrimaryAddress and externalDirectoryObjectId (the mailbox
// owner's Entra id); an Ip entity is the source. The
// incident's owner is the analyst it is assigned to, a bystander: it is
// kept in the owner attribute, never named as a subject.
type sentinelDecoder struct{}

// sentinelType is the ARM resource type of an incident; ARM compares
// resource types without regard to case.
const sentinelType = "Microsoft.SecurityInsights/incidents"

var sentinelSeverities = map[string]Severity{
	"high": SeverityHigh, "medium": SeverityMedium, "low": SeverityLow,
	"informational": SeverityInfo,
}

// Format returns FormatSentinel.
func (sentinelDecoder) Format() Format { return FormatSentinel }

// Detect accepts an incident resource: its type, and properties with a
// title, a severity and a status.
func (sentinelDecoder) Detect(doc map[string]any) bool {
	inc, _ := sentinelIncident(doc)
	return strings.EqualFold(str(inc, "type"), sentinelType) &&
		str(inc, "properties.title") != "" &&
		str(inc, "properties.severity") != "" &&
		str(inc, "properties.status") != ""
}

// markers are the fields Detect keys on, for nearMiss.
func (sentinelDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	inc, _ := sentinelIncident(doc)
	kind := marker{path: "type", problem: "not " + sentinelType,
		ok: func(v any) bool {
			s, _ := v.(string)
			return strings.EqualFold(s, sentinelType)
		}}
	return inc, []marker{kind, stringMarker("properties.title"),
		stringMarker("properties.severity"), stringMarker("properties.status")}
}

// sentinelIncident returns the incident of an automation rule's body,
// or the document itself, with its path prefix in the payload.
func sentinelIncident(doc map[string]any) (map[string]any, string) {
	if strings.EqualFold(str(doc, "objectSchemaType"), "Incident") {
		if inc := obj(doc, "object"); inc != nil {
			return inc, "object."
		}
	}
	return doc, ""
}

// Decode normalises a Sentinel incident.
func (sentinelDecoder) Decode(doc map[string]any) (Signal, error) {
	inc, prefix := sentinelIncident(doc)
	s, err := decodeSentinelIncident(inc)
	if err == nil {
		attrs(s.Attributes).text("event", str(doc, "objectEventType"))
	}
	return s, nested(prefix, err)
}

func decodeSentinelIncident(inc map[string]any) (Signal, error) {
	f := FormatSentinel
	name, err := requireText(f, inc, "name")
	if err != nil {
		return Signal{}, err
	}
	t, used, err := firstTime(f, inc, "properties.lastModifiedTimeUtc",
		"properties.createdTimeUtc")
	if err != nil {
		return Signal{}, err
	}
	p := obj(inc, "properties")
	subjects, err := sentinelSubjects(p)
	if err != nil {
		return Signal{}, err
	}
	return Signal{
		Format:     f,
		Category:   sentinelCategory(p),
		Type:       str(inc, "type"),
		Severity:   sentinelSeverity(p),
		Time:       t,
		DedupKey:   fmt.Sprintf("%s:%s:%s", f, name, str(inc, used)),
		Subjects:   subjects,
		Summary:    str(p, "title"),
		Attributes: sentinelAttributes(p),
	}, nil
}

func sentinelCategory(p map[string]any) Category {
	if strings.EqualFold(str(p, "status"), "closed") {
		return CategoryOther
	}
	return CategoryThreat
}

func sentinelSeverity(p map[string]any) Severity {
	if s, ok := sentinelSeverities[strings.ToLower(str(p, "severity"))]; ok {
		return s
	}
	return SeverityHigh
}

// sentinelSubjects names the accounts and addresses among the incident's
// related entities.
func sentinelSubjects(p map[string]any) ([]Subject, error) {
	entities, err := sentinelEntities(p)
	if err != nil {
		return nil, err
	}
	var l subjectList
	for _, e := range entities {
		props := obj(e, "properties")
		switch strings.ToLower(str(e, "kind")) {
		case "account":
			name, suffix := str(props, "accountName"), str(props, "upnSuffix")
			if name != "" && suffix != "" {
				name += "@" + suffix
			}
			l.addLogin(name, RoleTarget)
			l.add(SubjectUserID, str(props, "aadUserId"), RoleTarget)
		case "mailbox":
			l.addLogin(str(props, "upn"), RoleTarget)
			l.addLogin(str(props, "mailboxPrimaryAddress"), RoleTarget)
			l.add(SubjectUserID, str(props, "externalDirectoryObjectId"),
				RoleTarget)
		case "ip":
			l.addIP(str(props, "address"), RoleSource)
		}
	}
	return l.list(), nil
}

// sentinelEntities returns relatedEntities, none when absent or null.
// Anything but an array of objects is a FieldError: an incident whose
// entities cannot be read would otherwise name no one without a word.
func sentinelEntities(p map[string]any) ([]map[string]any, error) {
	const field = "properties.relatedEntities"
	v, _ := lookup(p, "relatedEntities")
	if v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fieldErr(FormatSentinel, field, "not an array", nil)
	}
	out := make([]map[string]any, 0, len(items))
	for i, item := range items {
		e, ok := item.(map[string]any)
		if !ok {
			return nil, fieldErr(FormatSentinel,
				fmt.Sprintf("%s[%d]", field, i), "not an object", nil)
		}
		out = append(out, e)
	}
	return out, nil
}

func sentinelAttributes(p map[string]any) attrs {
	a := attrs{}
	a.lower("status", str(p, "status"))
	if sentinelCategory(p) == CategoryOther {
		a["resolved"] = true
	}
	a.text("classification", str(p, "classification"))
	a.text("classification_reason", str(p, "classificationReason"))
	a.text("severity_label", str(p, "severity"))
	a.text("incident_number", text(p, "incidentNumber"))
	a.text("provider_incident_id", text(p, "providerIncidentId"))
	a.text("provider", str(p, "providerName"))
	a.text("owner", firstText(p, "owner.userPrincipalName", "owner.email",
		"owner.assignedTo"))
	a.text("analytic_rules", sentinelRuleIDs(p))
	a.text("tactics", joinStrings(list(p, "additionalData.tactics")))
	a.number("alerts_count", p, "additionalData.alertsCount")
	return a
}

// sentinelRuleIDs lists the ids of the analytic rules behind the
// incident (the last segment of each rule's resource id), with commas.
func sentinelRuleIDs(p map[string]any) string {
	var ids []any
	for _, v := range list(p, "relatedAnalyticRuleIds") {
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
			ids = append(ids, path.Base(s))
		}
	}
	return joinStrings(ids)
}

// joinStrings joins the non-empty strings of a list with commas.
func joinStrings(values []any) string {
	var out []string
	for _, v := range values {
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}
