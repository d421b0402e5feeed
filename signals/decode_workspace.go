package signals

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// workspaceDecoder decodes one Google Workspace activity as the Admin
// SDK Reports API lists it (kind admin#reports#activity), of any
// application; the login application's events are read in full, the
// others' are other.
//
// An activity holds events, an array as the API sends it; a single
// event written as an object, as some exporters do, is read too. One
// payload is one signal: of several events the most severe (the first
// of equals) gives the category, type and severity, and every event's
// name is kept in the events attribute.
//
// Login events by name:
//
//	account_disabled_hijacked        account_disabled       critical
//	account_disabled_password_leak   credential_compromise  critical
//	account_disabled_generic, account_disabled_spamming,
//	account_disabled_spamming_through_relay
//	                                 account_change         medium
//	user_signed_out_due_to_suspicious_session_cookie
//	                                 threat                 high
//	suspicious_login, suspicious_login_less_secure_app,
//	suspicious_programmatic_login, gov_attack_warning,
//	risky_sensitive_action_allowed   threat                 medium
//	risky_sensitive_action_blocked   threat                 low
//	login_success, login_failure, login_challenge, login_verification,
//	logout                           authentication         info
//
// A login_* event whose is_suspicious parameter is true is a threat:
// medium when it succeeded (login_success), else low. Other login
// events are account_change (info) when their type is account_warning,
// 2sv_change, password_change, recovery_info_change or titanium_change,
// else other.
//
// The time is id.time; the dedup key is google_workspace:<customerId>:
// <applicationName>:<id.time>:<uniqueQualifier>:<event name>.
//
// Subjects: the account the event is about. An account warning (an
// event of type account_warning, or one of the warnings by name:
// account_disabled_*, suspicious_*, gov_attack_warning,
// user_signed_out_due_to_suspicious_session_cookie) names it in its
// affected_email_address parameter, one address or several: each is a
// target, and the actor (actor.email, actor.profileId) only when it is
// one of them. The actor of a warning is whoever Google logged as
// acting (an administrator, in the corpus), not the account at risk: a
// warning without affected_email_address names no one rather than take
// the actor for it, and an actor not named is kept in the actor_email
// attribute, so that no policy acts on a bystander. Any other event
// names its actor as the actor, unless it names affected accounts.
// ipAddress is the source.
//
// A parameter's value is read from value, boolValue, intValue or
// multiValue; parameters flattened into an object from name to value,
// as some exporters write them, read alike. intValue is a number or, as Google writes 64-bit integers
// in JSON, a string of digits; login_timestamp (microseconds since the
// epoch) becomes the login_time attribute in RFC 3339, and one that is
// not an epoch time is a FieldError naming its path
// ("events[0].parameters[1].intValue").
type workspaceDecoder struct{}

// workspaceKind is the kind of one activity of the Reports API.
const workspaceKind = "admin#reports#activity"

// workspaceClass is how an event is normalised.
type workspaceClass struct {
	category Category
	severity Severity
}

var workspaceLoginEvents = map[string]workspaceClass{
	"account_disabled_hijacked":      {CategoryAccountDisabled, SeverityCritical},
	"account_disabled_password_leak": {CategoryCredentialCompromise, SeverityCritical},
	"account_disabled_generic":       {CategoryAccountChange, SeverityMedium},
	"account_disabled_spamming":      {CategoryAccountChange, SeverityMedium},
	"account_disabled_spamming_through_relay": {
		CategoryAccountChange, SeverityMedium},
	"user_signed_out_due_to_suspicious_session_cookie": {
		CategoryThreat, SeverityHigh},
	"suspicious_login":                 {CategoryThreat, SeverityMedium},
	"suspicious_login_less_secure_app": {CategoryThreat, SeverityMedium},
	"suspicious_programmatic_login":    {CategoryThreat, SeverityMedium},
	"gov_attack_warning":               {CategoryThreat, SeverityMedium},
	"risky_sensitive_action_allowed":   {CategoryThreat, SeverityMedium},
	"risky_sensitive_action_blocked":   {CategoryThreat, SeverityLow},
	"login_success":                    {CategoryAuthentication, SeverityInfo},
	"login_failure":                    {CategoryAuthentication, SeverityInfo},
	"login_challenge":                  {CategoryAuthentication, SeverityInfo},
	"login_verification":               {CategoryAuthentication, SeverityInfo},
	"logout":                           {CategoryAuthentication, SeverityInfo},
}

// workspaceAccountTypes are the login event types that change an
// account.
var workspaceAccountTypes = map[string]bool{
	"account_warning": true, "2sv_change": true, "password_change": true,
	"recovery_info_change": true, "titanium_change": true,
}

// workspaceReasons say why Google disabled an account, in the words of
// RISC account-disabled where there is one.
var workspaceReasons = map[string]string{
	"account_disabled_hijacked":               "hijacking",
	"account_disabled_password_leak":          "password_leak",
	"account_disabled_generic":                "generic",
	"account_disabled_spamming":               "spamming",
	"account_disabled_spamming_through_relay": "spamming_through_relay",
}

// workspaceWarnings are the login events that warn about the account in
// their affected_email_address, whatever their type says.
var workspaceWarnings = map[string]bool{
	"account_disabled_hijacked": true, "account_disabled_password_leak": true,
	"account_disabled_generic": true, "account_disabled_spamming": true,
	"account_disabled_spamming_through_relay":          true,
	"suspicious_login":                                 true,
	"suspicious_login_less_secure_app":                 true,
	"suspicious_programmatic_login":                    true,
	"gov_attack_warning":                               true,
	"user_signed_out_due_to_suspicious_session_cookie": true,
}

var workspaceOutcomes = map[string]string{
	"login_success": "success", "login_failure": "failure",
}

// Format returns FormatGoogleWorkspace.
func (workspaceDecoder) Format() Format { return FormatGoogleWorkspace }

// Detect accepts an activity: its kind, id.applicationName, and events
// (an array or an object).
func (workspaceDecoder) Detect(doc map[string]any) bool {
	return str(doc, "kind") == workspaceKind &&
		str(doc, "id.applicationName") != "" && hasEvents(doc["events"])
}

// markers are the fields Detect keys on, for nearMiss.
func (workspaceDecoder) markers(doc map[string]any) (map[string]any, []marker) {
	kind := marker{path: "kind", problem: "not " + workspaceKind,
		ok: func(v any) bool { return v == workspaceKind }}
	events := marker{path: "events", problem: "not an array or an object",
		ok: hasEvents}
	return doc, []marker{kind, stringMarker("id.applicationName"), events}
}

func hasEvents(v any) bool {
	switch v.(type) {
	case []any, map[string]any:
		return true
	}
	return false
}

// Decode normalises a Workspace activity.
func (workspaceDecoder) Decode(doc map[string]any) (Signal, error) {
	f := FormatGoogleWorkspace
	t, err := rfc3339At(f, doc, "id.time")
	if err != nil {
		return Signal{}, err
	}
	unique, err := requireText(f, doc, "id.uniqueQualifier")
	if err != nil {
		return Signal{}, err
	}
	events, err := workspaceEvents(doc)
	if err != nil {
		return Signal{}, err
	}
	e := mostSevere(events)
	a, err := workspaceAttributes(doc, e, events)
	if err != nil {
		return Signal{}, err
	}
	return Signal{
		Format:   f,
		Category: e.class.category,
		Type:     e.name,
		Severity: e.class.severity,
		Time:     t,
		DedupKey: strings.Join([]string{string(f), text(doc, "id.customerId"),
			str(doc, "id.applicationName"), str(doc, "id.time"), unique,
			e.name}, ":"),
		Subjects:   workspaceSubjects(doc, e),
		Attributes: a,
	}, nil
}

// workspaceEvent is one event of an activity, where it is in the
// payload, and how it is normalised.
type workspaceEvent struct {
	doc   map[string]any
	path  string // "events[0]", or "events" for a lone object
	name  string
	class workspaceClass
}

// workspaceEvents reads and classifies the events of an activity.
func workspaceEvents(doc map[string]any) ([]workspaceEvent, error) {
	f := FormatGoogleWorkspace
	var events []workspaceEvent
	switch v := doc["events"].(type) {
	case map[string]any:
		events = append(events, workspaceEvent{doc: v, path: "events"})
	case []any:
		for i, item := range v {
			path := fmt.Sprintf("events[%d]", i)
			e, ok := item.(map[string]any)
			if !ok {
				return nil, fieldErr(f, path, "not an object", nil)
			}
			events = append(events, workspaceEvent{doc: e, path: path})
		}
	}
	if len(events) == 0 {
		return nil, fieldErr(f, "events", "empty", nil)
	}
	app := str(doc, "id.applicationName")
	for i := range events {
		e := &events[i]
		name, err := requireText(f, e.doc, "name")
		if err != nil {
			return nil, nested(e.path+".", err)
		}
		e.name = name
		e.class = workspaceClassify(app, *e)
	}
	return events, nil
}

func workspaceClassify(app string, e workspaceEvent) workspaceClass {
	if app != "login" {
		return workspaceClass{CategoryOther, SeverityInfo}
	}
	suspicious, _ := flag(e.param("is_suspicious"), "boolValue")
	switch {
	case suspicious && e.name == "login_success":
		return workspaceClass{CategoryThreat, SeverityMedium}
	case suspicious && strings.HasPrefix(e.name, "login_"):
		return workspaceClass{CategoryThreat, SeverityLow}
	}
	if c, ok := workspaceLoginEvents[e.name]; ok {
		return c
	}
	if workspaceAccountTypes[str(e.doc, "type")] {
		return workspaceClass{CategoryAccountChange, SeverityInfo}
	}
	return workspaceClass{CategoryOther, SeverityInfo}
}

// mostSevere returns the first of the most severe events.
func mostSevere(events []workspaceEvent) workspaceEvent {
	top := events[0]
	for _, e := range events[1:] {
		if e.class.severity.Rank() > top.class.severity.Rank() {
			top = e
		}
	}
	return top
}

// param returns the event's parameter of that name, or nil.
func (e workspaceEvent) param(name string) map[string]any {
	p, _ := e.paramAt(name)
	return p
}

// paramAt returns the parameter of that name and the path of its
// intValue. Parameters are a list of {name, value | intValue |
// boolValue | multiValue} as the Reports API sends them, or an object
// from name to value as some exporters flatten them; a flattened value
// is read as the member its type would have been sent in.
func (e workspaceEvent) paramAt(name string) (map[string]any, string) {
	if flat := obj(e.doc, "parameters"); flat != nil {
		v, ok := flat[name]
		if !ok {
			return nil, ""
		}
		return flatParam(v), fmt.Sprintf("%s.parameters.%s", e.path, name)
	}
	for i, v := range list(e.doc, "parameters") {
		p, ok := v.(map[string]any)
		if ok && str(p, "name") == name {
			return p, fmt.Sprintf("%s.parameters[%d].intValue", e.path, i)
		}
	}
	return nil, ""
}

// flatParam is a flattened parameter's value as the API would send it.
func flatParam(v any) map[string]any {
	switch v := v.(type) {
	case bool:
		return map[string]any{"boolValue": v}
	case json.Number:
		return map[string]any{"intValue": v}
	case []any:
		return map[string]any{"multiValue": v}
	case string: // a text, or a 64-bit integer written as a string
		return map[string]any{"value": v, "intValue": v}
	}
	return map[string]any{}
}

// text returns a parameter's value as text: value, intValue, or the
// items of multiValue joined with commas.
func (e workspaceEvent) text(name string) string {
	p := e.param(name)
	if s := firstText(p, "value", "intValue"); s != "" {
		return s
	}
	return joinStrings(list(p, "multiValue"))
}

// epoch reads a parameter's intValue as an epoch time; ok is false when
// the event has no such parameter.
func (e workspaceEvent) epoch(name string) (t time.Time, ok bool, err error) {
	p, at := e.paramAt(name)
	v, _ := lookup(p, "intValue")
	if v == nil {
		return time.Time{}, false, nil
	}
	var n json.Number
	switch v := v.(type) {
	case json.Number:
		n = v
	case string:
		n = json.Number(v)
	}
	if t, err := epochTime(n); n != "" && err == nil {
		return t, true, nil
	}
	return time.Time{}, false, fieldErr(FormatGoogleWorkspace,
		at, "not an epoch time in microseconds", v)
}

// values returns a parameter's values: value or intValue, else each
// item of multiValue; none when the event has no such parameter.
func (e workspaceEvent) values(name string) []string {
	p := e.param(name)
	if s := firstText(p, "value", "intValue"); s != "" {
		return []string{s}
	}
	var out []string
	for _, v := range list(p, "multiValue") {
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// warning reports whether the event warns about an affected account.
func (e workspaceEvent) warning() bool {
	return str(e.doc, "type") == "account_warning" || workspaceWarnings[e.name]
}

// actorRole is the role the activity's actor is named with, or "" when
// it is not named: see workspaceDecoder.
func actorRole(doc map[string]any, e workspaceEvent) Role {
	affected := e.values("affected_email_address")
	actor := strings.TrimSpace(str(doc, "actor.email"))
	switch {
	case actor != "" && slices.ContainsFunc(affected, func(a string) bool {
		return strings.EqualFold(strings.TrimSpace(a), actor)
	}):
		return RoleTarget
	case len(affected) == 0 && !e.warning():
		return RoleActor
	}
	return ""
}

// workspaceSubjects names the account the event is about and where the
// activity came from; see workspaceDecoder for who that is.
func workspaceSubjects(doc map[string]any, e workspaceEvent) []Subject {
	var l subjectList
	for _, a := range e.values("affected_email_address") {
		l.addLogin(a, RoleTarget)
	}
	if role := actorRole(doc, e); role != "" {
		l.addLogin(str(doc, "actor.email"), role)
		l.add(SubjectUserID, text(doc, "actor.profileId"), role)
	}
	l.addIP(str(doc, "ipAddress"), RoleSource)
	return l.list()
}

func workspaceAttributes(doc map[string]any, e workspaceEvent,
	events []workspaceEvent) (attrs, error) {
	a := attrs{}
	a.text("application", str(doc, "id.applicationName"))
	a.text("event_type", str(e.doc, "type"))
	if len(events) > 1 {
		names := make([]string, len(events))
		for i, ev := range events {
			names[i] = ev.name
		}
		a["events"] = strings.Join(names, ",")
	}
	if actorRole(doc, e) == "" {
		a.text("actor_email", str(doc, "actor.email"))
	}
	a.text("caller_type", str(doc, "actor.callerType"))
	a.text("owner_domain", str(doc, "ownerDomain"))
	a.text("outcome", workspaceOutcomes[e.name])
	a.text("reason", workspaceReasons[e.name])
	if e.name == "account_disabled_password_leak" {
		a["credential_type"] = "password"
	}
	a.flag("is_suspicious", e.param("is_suspicious"), "boolValue")
	a.text("login_type", e.text("login_type"))
	a.text("login_challenge_method", e.text("login_challenge_method"))
	login, ok, err := e.epoch("login_timestamp")
	if ok {
		a["login_time"] = login.Format(time.RFC3339Nano)
	}
	return a, err
}
