package signals

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// ocsfDecoder decodes one Open Cybersecurity Schema Framework event of
// the classes killswitch acts on. Any other class is a FieldError on
// class_uid, not a guess.
//
// Category by class: 2004 Detection Finding is threat, 3002
// Authentication is authentication, 3001 Account Change is
// account_change.
//
// Severity by severity_id: 0 Unknown and 1 Informational are info, 2
// low, 3 medium, 4 high, 5 Critical and 6 Fatal critical. Another id (99
// Other) falls back to the severity label when it names a level, else
// info.
//
// The time is time_dt when present (an RFC 3339 string, offsets
// converted to UTC), else time (an epoch number whose unit is decided by
// magnitude: the schema says milliseconds, real mappings send seconds).
//
// The dedup key is ocsf:<metadata.uid>; without it,
// ocsf:<finding_info.uid>:<time>; without either, ocsf:sha256:<digest of
// the document with sorted keys>, which is the same for every redelivery
// of the same event.
type ocsfDecoder struct{}

var ocsfClasses = map[string]Category{
	"2004": CategoryThreat,
	"3002": CategoryAuthentication,
	"3001": CategoryAccountChange,
}

var ocsfSeverities = map[string]Severity{
	"0": SeverityInfo, "1": SeverityInfo, "2": SeverityLow,
	"3": SeverityMedium, "4": SeverityHigh, "5": SeverityCritical,
	"6": SeverityCritical,
}

var ocsfSeverityLabels = map[string]Severity{
	"informational": SeverityInfo, "low": SeverityLow,
	"medium": SeverityMedium, "high": SeverityHigh,
	"critical": SeverityCritical, "fatal": SeverityCritical,
}

// Format returns FormatOCSF.
func (ocsfDecoder) Format() Format { return FormatOCSF }

// Detect accepts a document with a numeric class_uid and a metadata
// object carrying the schema version or the product.
func (ocsfDecoder) Detect(doc map[string]any) bool {
	_, classified := number(doc, "class_uid")
	return classified && (str(doc, "metadata.version") != "" ||
		obj(doc, "metadata.product") != nil)
}

// markers are the fields Detect keys on, for nearMiss.
func (ocsfDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	metadata := marker{path: "metadata", problem: "has neither version " +
		"nor product", ok: func(v any) bool {
		m, _ := v.(map[string]any)
		return str(m, "version") != "" || obj(m, "product") != nil
	}}
	return doc, []marker{numberMarker("class_uid"), metadata}
}

// Decode normalises an OCSF event of a supported class.
func (ocsfDecoder) Decode(doc map[string]any) (Signal, error) {
	class := text(doc, "class_uid")
	category, ok := ocsfClasses[class]
	if !ok {
		return Signal{}, fieldErr(FormatOCSF, "class_uid",
			"unsupported OCSF class", class)
	}
	t, _, err := firstTime(FormatOCSF, doc, "time_dt", "time")
	if err != nil {
		return Signal{}, err
	}
	finding := category == CategoryThreat
	return Signal{
		Format:     FormatOCSF,
		Category:   category,
		Type:       firstText(doc, "type_name", "class_name", "type_uid"),
		Severity:   ocsfSeverity(doc),
		Time:       t,
		DedupKey:   ocsfDedupKey(doc, t),
		Subjects:   ocsfSubjects(doc, category),
		Summary:    ocsfSummary(doc, finding),
		Attributes: ocsfAttributes(doc, finding),
	}, nil
}

func ocsfSeverity(doc map[string]any) Severity {
	if s, ok := ocsfSeverities[text(doc, "severity_id")]; ok {
		return s
	}
	if s, ok := ocsfSeverityLabels[strings.ToLower(str(doc, "severity"))]; ok {
		return s
	}
	return SeverityInfo
}

func ocsfDedupKey(doc map[string]any, t time.Time) string {
	if uid := text(doc, "metadata.uid"); uid != "" {
		return "ocsf:" + uid
	}
	if uid := text(doc, "finding_info.uid"); uid != "" {
		return "ocsf:" + uid + ":" + t.Format(time.RFC3339Nano)
	}
	return "ocsf:sha256:" + digest(doc)
}

// digest is the SHA-256 of the document as encoding/json writes it: keys
// sorted, numbers as received, so equal documents give equal digests.
func digest(doc map[string]any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		// A document parsed from JSON always encodes back.
		panic("signals: re-encode parsed document: " + err.Error())
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

func ocsfSummary(doc map[string]any, finding bool) string {
	if finding {
		if title := str(doc, "finding_info.title"); title != "" {
			return title
		}
	}
	return str(doc, "message")
}

func ocsfAttributes(doc map[string]any, finding bool) map[string]any {
	a := attrs{}
	a.number("class_uid", doc, "class_uid")
	a.number("type_uid", doc, "type_uid")
	a.text("activity", str(doc, "activity_name"))
	a.text("event_code", str(doc, "metadata.event_code"))
	a.text("product", str(doc, "metadata.product.name"))
	if finding {
		a.text("finding_status", str(doc, "status"))
		if types := list(doc, "finding_info.types"); len(types) > 0 {
			first, _ := types[0].(string)
			a.text("finding_type", first)
		}
		return a
	}
	a.lower("outcome", str(doc, "status"))
	return a
}

// ocsfSubjects names, in this order: the event's user (who signed in,
// for Authentication, so an actor; who was changed, for Account Change,
// so a target), the actor and its session, for a finding the users and
// sessions in its evidences and the principals its resources name, then
// the source addresses and the device.
func ocsfSubjects(doc map[string]any, category Category) []Subject {
	var l subjectList
	userRole := RoleTarget
	if category == CategoryAuthentication {
		userRole = RoleActor
	}
	ocsfUser(&l, obj(doc, "user"), userRole)
	ocsfActor(&l, obj(doc, "actor"))
	finding := category == CategoryThreat
	evidences := objects(doc, "evidences")
	if finding {
		for _, ev := range evidences {
			ocsfActor(&l, obj(ev, "actor"))
			ocsfUser(&l, obj(ev, "user"), RoleTarget)
		}
		for _, r := range objects(doc, "resources") {
			ocsfResource(&l, r)
		}
	}
	l.addIP(str(doc, "src_endpoint.ip"), RoleSource)
	for _, ev := range evidences {
		l.addIP(str(ev, "src_endpoint.ip"), RoleSource)
	}
	l.add(SubjectDeviceID, text(doc, "device.uid"), RoleSource)
	return l.list()
}

// ocsfActor adds an OCSF actor: its user and its session.
func ocsfActor(l *subjectList, actor map[string]any) {
	ocsfUser(l, obj(actor, "user"), RoleActor)
	l.add(SubjectSessionID, text(actor, "session.uid"), RoleActor)
}

// ocsfUser adds an OCSF user object: email_addr, uid and name.
func ocsfUser(l *subjectList, u map[string]any, r Role) {
	l.add(SubjectEmail, str(u, "email_addr"), r)
	l.add(SubjectUserID, text(u, "uid"), r)
	l.addLogin(str(u, "name"), r)
}

// awsAccessKeyUID prefixes an access key id in the resource uids that
// AWS Security Hub writes into OCSF ("AWS::IAM::AccessKey:ASIA…").
const awsAccessKeyUID = "AWS::IAM::AccessKey:"

// ocsfResource adds what a finding's resource names: an access key, an
// IAM or STS principal ARN, and the principal recorded in its data.
func ocsfResource(l *subjectList, r map[string]any) {
	uid := str(r, "uid")
	switch {
	case strings.HasPrefix(uid, awsAccessKeyUID):
		key := strings.TrimPrefix(uid, awsAccessKeyUID)
		l.add(SubjectAccessKeyID, key, RoleCredential)
	case isPrincipalARN(uid):
		l.add(SubjectARN, uid, RoleTarget)
	}
	data := resourceData(r)
	for _, kind := range []string{"AwsIamAccessKey", "AwsIamUser"} {
		details := obj(data, kind)
		l.add(SubjectUsername, str(details, "PrincipalName"), RoleTarget)
		l.add(SubjectUsername, str(details, "UserName"), RoleTarget)
		l.add(SubjectUserID, str(details, "PrincipalId"), RoleTarget)
		l.add(SubjectUserID, str(details, "UserId"), RoleTarget)
	}
}

// isPrincipalARN reports whether s is the ARN of an IAM user or role or
// of an STS session, which name principals rather than resources.
func isPrincipalARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" &&
		(parts[2] == "iam" || parts[2] == "sts") &&
		hasAnyPrefix(parts[5], "user/", "role/", "assumed-role/")
}

// resourceData returns a resource's data as an object. OCSF leaves data
// free-form; Security Hub mappings put the ASFF resource details there
// as a JSON string. Data that is not a JSON object reads as nil.
func resourceData(r map[string]any) map[string]any {
	switch v := r["data"].(type) {
	case map[string]any:
		return v
	case string:
		dec := json.NewDecoder(bytes.NewReader([]byte(v)))
		dec.UseNumber()
		var m map[string]any
		if dec.Decode(&m) == nil {
			return m
		}
	}
	return nil
}
