package signals

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// setDecoder decodes the claims of a Security Event Token (RFC 8417) that
// carries one OpenID Shared Signals event: CAEP or RISC, one decoder per
// family. The token arrives signed; whoever verifies the signature hands
// its claims here as JSON.
//
// Category and severity by event type:
//
//	caep session-revoked         session_revoked        high
//	caep credential-change       credential_change      by change_type:
//	                             create info, update low, revoke and
//	                             delete medium, another value low
//	risc account-disabled        account_disabled       critical when
//	                             reason is hijacking, else high
//	risc account-purged          account_disabled       high
//	risc credential-compromise   credential_compromise  critical
//	risc sessions-revoked        session_revoked        high
//	any other event type         other                  info
//
// Subjects come from the top-level sub_id (RFC 9493) or, in older
// tokens, from the event's own subject; see setSubjects. The dedup key is
// <caep|risc>:<iss>#<jti>: jti is unique per issuer only. The time is the
// event's event_timestamp, else iat.
type setDecoder struct {
	format Format
}

// setEventTypes are the event-type URI paths of each family; http:// is
// accepted as well as https://, as early RISC transmitters sent it.
var setEventTypes = map[Format]string{
	FormatCAEP: "schemas.openid.net/secevent/caep/event-type/",
	FormatRISC: "schemas.openid.net/secevent/risc/event-type/",
}

// Format returns FormatCAEP or FormatRISC.
func (d setDecoder) Format() Format { return d.format }

// Detect accepts claims with iss, jti, and an events object that has an
// event type of this decoder's family.
func (d setDecoder) Detect(doc map[string]any) bool {
	if str(doc, "iss") == "" || text(doc, "jti") == "" {
		return false
	}
	for uri := range obj(doc, "events") {
		if _, ok := setEventName(d.format, uri); ok {
			return true
		}
	}
	return false
}

// markers are the fields Detect keys on, for nearMiss.
func (d setDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	events := marker{path: "events", problem: "no " + string(d.format) +
		" event type", ok: func(v any) bool {
		for uri := range asObject(v) {
			if _, ok := setEventName(d.format, uri); ok {
				return true
			}
		}
		return false
	}}
	return doc, []marker{stringMarker("iss"), textMarker("jti"), events}
}

func asObject(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// setEventName returns the event name of a URI of family f
// ("session-revoked").
func setEventName(f Format, uri string) (string, bool) {
	rest, ok := strings.CutPrefix(uri, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(uri, "http://")
	}
	name, family := strings.CutPrefix(rest, setEventTypes[f])
	return name, ok && family && name != ""
}

// Decode normalises the claims of a CAEP or RISC token.
func (d setDecoder) Decode(doc map[string]any) (Signal, error) {
	uri, name, event, err := d.event(doc)
	if err != nil {
		return Signal{}, err
	}
	t, err := setTime(d.format, doc, event, name)
	if err != nil {
		return Signal{}, err
	}
	if err := checkSubject(d.format, doc, event, name); err != nil {
		return Signal{}, err
	}
	category, severity := setClassify(d.format, name, event)
	return Signal{
		Format:     d.format,
		Category:   category,
		Type:       uri,
		Severity:   severity,
		Time:       t,
		DedupKey:   setDedupKey(d.format, doc),
		Subjects:   setSubjects(doc, event, d.format, name),
		Summary:    setSummary(d.format, name, event),
		Attributes: setAttributes(doc, event, uri),
	}, nil
}

// setDedupKey is <format>:<iss>#<jti>: a jti is unique per issuer only,
// and two issuers may well pick the same one.
func setDedupKey(f Format, doc map[string]any) string {
	return fmt.Sprintf("%s:%s#%s", f, str(doc, "iss"), text(doc, "jti"))
}

// event returns the token's one event. A token with two, of one family
// or of both, is refused: which of them to act on would be a guess.
func (d setDecoder) event(doc map[string]any) (
	uri, name string, event map[string]any, err error) {
	events := obj(doc, "events")
	var names []string
	for u := range events {
		for f := range setEventTypes {
			n, ok := setEventName(f, u)
			if ok && f == d.format {
				uri, name = u, n
			}
			if ok {
				names = append(names, n)
			}
		}
	}
	if len(names) != 1 {
		slices.Sort(names)
		return "", "", nil, fieldErr(d.format, "events",
			"more than one event type", strings.Join(names, ", "))
	}
	event, _ = events[uri].(map[string]any)
	return uri, name, event, nil
}

// setTime reads event_timestamp from the event, else iat; both are
// epoch numbers.
func setTime(f Format, doc, event map[string]any,
	name string) (time.Time, error) {
	if v, ok := event["event_timestamp"]; ok && v != nil {
		t, err := epochAt(f, event, "event_timestamp")
		var fe *FieldError
		if errors.As(err, &fe) {
			fe.Field = "events[" + name + "].event_timestamp"
		}
		return t, err
	}
	return epochAt(f, doc, "iat")
}

func setClassify(f Format, name string,
	event map[string]any) (Category, Severity) {
	switch string(f) + "/" + name {
	case "caep/session-revoked", "risc/sessions-revoked":
		return CategorySessionRevoked, SeverityHigh
	case "caep/credential-change":
		return CategoryCredentialChange, changeSeverity(str(event, "change_type"))
	case "risc/account-disabled":
		if str(event, "reason") == "hijacking" {
			return CategoryAccountDisabled, SeverityCritical
		}
		return CategoryAccountDisabled, SeverityHigh
	case "risc/account-purged":
		return CategoryAccountDisabled, SeverityHigh
	case "risc/credential-compromise":
		return CategoryCredentialCompromise, SeverityCritical
	}
	return CategoryOther, SeverityInfo
}

func changeSeverity(changeType string) Severity {
	switch changeType {
	case "create":
		return SeverityInfo
	case "revoke", "delete":
		return SeverityMedium
	}
	return SeverityLow
}

func setSummary(f Format, name string, event map[string]any) string {
	summary := string(f) + " " + name
	if reason := str(event, "reason_admin.en"); reason != "" {
		summary += ": " + reason
	}
	return summary
}

func setAttributes(doc, event map[string]any, uri string) map[string]any {
	a := attrs{}
	a.text("event_type_uri", uri)
	a.text("reason", str(event, "reason"))
	a.text("change_type", str(event, "change_type"))
	a.text("credential_type", str(event, "credential_type"))
	a.text("initiating_entity", str(event, "initiating_entity"))
	a.text("tenant", setTenant(obj(doc, "sub_id")))
	return a
}

// idKind says what an identifier names: the subject itself, or the
// session or device member of a complex subject.
type idKind int

const (
	idPrincipal idKind = iota
	idSession
	idDevice
)

// maxIdentifierDepth bounds the recursion through complex and aliases
// identifiers, which RFC 9493 nests at most twice.
const maxIdentifierDepth = 4

// setSubjects names the token's subject: sub_id (RFC 9493), or the
// event's subject member in tokens written to earlier drafts. An opaque
// subject names a session in a CAEP session-revoked event, and a user
// otherwise; so does the opaque user member of a complex subject, which
// is how killswitch's transmitter names a principal it knows no e-mail
// address of.
func setSubjects(doc, event map[string]any, f Format,
	name string) []Subject {
	id := obj(doc, "sub_id")
	if id == nil {
		id = obj(event, "subject")
	}
	var l subjectList
	sessionEvent := f == FormatCAEP && name == "session-revoked"
	addIdentifier(&l, id, idPrincipal, sessionEvent, 0)
	return l.list()
}

// identifierFormat reads an identifier's format, from format (RFC 9493)
// or subject_type (earlier drafts, which wrote iss-sub for iss_sub). An
// identifier with neither that has members of a complex subject (user,
// session, device...) is one: SSF drafts before 1.0 wrote them so.
func identifierFormat(id map[string]any) string {
	f := firstText(id, "format", "subject_type")
	if f == "" && slices.ContainsFunc(complexMembers, func(m string) bool {
		return id[m] != nil
	}) {
		return "complex"
	}
	return strings.ReplaceAll(strings.ToLower(f), "-", "_")
}

// addIdentifier adds the subjects an identifier names, walking the
// members of complex identifiers (user, session, device) and the
// members of aliases identifiers.
func addIdentifier(l *subjectList, id map[string]any, kind idKind,
	sessionEvent bool, depth int) {
	if id == nil || depth > maxIdentifierDepth {
		return
	}
	switch format := identifierFormat(id); format {
	case "complex":
		// The user member names a user even in a session event: only a
		// subject that is itself opaque stands for the session.
		addIdentifier(l, obj(id, "user"), idPrincipal, false, depth+1)
		addIdentifier(l, obj(id, "session"), idSession, sessionEvent, depth+1)
		addIdentifier(l, obj(id, "device"), idDevice, sessionEvent, depth+1)
	case "aliases":
		for _, alias := range objects(id, "identifiers") {
			addIdentifier(l, alias, kind, sessionEvent, depth+1)
		}
	default:
		addSimpleIdentifier(l, format, identifierValue(format, id), kind,
			sessionEvent)
	}
}

// addSimpleIdentifier adds one identifier's value. Inside a complex
// subject, the session and device members give a session or device id
// whatever their format; an e-mail or phone number names neither.
func addSimpleIdentifier(l *subjectList, format, value string, kind idKind,
	sessionEvent bool) {
	personal := format == "email" || format == "account"
	switch {
	case kind == idSession && !personal:
		l.add(SubjectSessionID, value, RoleTarget)
	case kind == idDevice && !personal:
		l.add(SubjectDeviceID, value, RoleTarget)
	case kind != idPrincipal:
	case format == "email":
		l.add(SubjectEmail, value, RoleTarget)
	case format == "account":
		l.addLogin(strings.TrimPrefix(value, "acct:"), RoleTarget)
	case format == "opaque" && sessionEvent:
		l.add(SubjectSessionID, value, RoleTarget)
	default:
		l.add(SubjectUserID, value, RoleTarget)
		if isEmail(value) {
			l.add(SubjectEmail, value, RoleTarget)
		}
	}
}

// identifierValue returns the member that carries an identifier's value
// in each RFC 9493 format. Phone numbers and unknown formats give "":
// nothing in the registry is keyed by them.
func identifierValue(format string, id map[string]any) string {
	switch format {
	case "email":
		return str(id, "email")
	case "iss_sub":
		return text(id, "sub")
	case "opaque":
		return text(id, "id")
	case "account", "uri":
		return str(id, "uri")
	case "did":
		return str(id, "url")
	}
	return ""
}

// setTenant returns the tenant member of a complex subject, kept as an
// attribute: a tenant is not a principal and is never acted on.
func setTenant(id map[string]any) string {
	if identifierFormat(id) != "complex" {
		return ""
	}
	tenant := obj(id, "tenant")
	return identifierValue(identifierFormat(tenant), tenant)
}
