package signals_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

// workspaceBase is one login activity as the Reports API lists it:
// events is an array, 64-bit integers are strings.
const workspaceBase = `{
  "kind": "admin#reports#activity",
  "id": {"time": "2026-11-30T08:00:00.000Z", "uniqueQualifier": "-4012345678901234567",
    "applicationName": "login", "customerId": "C01abcdef"},
  "etag": "\"e1\"",
  "actor": {"callerType": "USER", "email": "gina@example.com",
    "profileId": "104400000000000000001"},
  "ownerDomain": "example.com",
  "ipAddress": "203.0.113.50",
  "events": [{"type": "login", "name": "login_success", "parameters": [
    {"name": "login_type", "value": "google_password"},
    {"name": "login_challenge_method", "multiValue": ["password", "totp"]},
    {"name": "is_suspicious", "boolValue": false}
  ]}]
}`

// workspaceWith returns workspaceBase with its events replaced.
func workspaceWith(t *testing.T, events any) string {
	t.Helper()
	return withFields(t, workspaceBase, map[string]any{"events": events})
}

func workspaceWarning(name string, params ...any) map[string]any {
	return map[string]any{"type": "account_warning", "name": name,
		"parameters": append([]any{map[string]any{
			"name": "affected_email_address", "value": "hank@example.com"}},
			params...)}
}

func TestWorkspaceLoginEventsDecideCategoryAndSeverity(t *testing.T) {
	suspicious := map[string]any{"name": "is_suspicious", "boolValue": true}
	tests := []struct {
		name     string
		event    map[string]any
		category signals.Category
		severity signals.Severity
	}{
		{"A plain sign-in is authentication", nil,
			signals.CategoryAuthentication, signals.SeverityInfo},
		{"A suspicious successful sign-in is a medium threat", map[string]any{
			"type": "login", "name": "login_success",
			"parameters": []any{suspicious}},
			signals.CategoryThreat, signals.SeverityMedium},
		{"A suspicious failed sign-in is a low threat", map[string]any{
			"type": "login", "name": "login_failure",
			"parameters": []any{suspicious}},
			signals.CategoryThreat, signals.SeverityLow},
		{"A hijacked account disabled is critical", workspaceWarning(
			"account_disabled_hijacked"),
			signals.CategoryAccountDisabled, signals.SeverityCritical},
		{"A leaked password is a credential compromise", workspaceWarning(
			"account_disabled_password_leak"),
			signals.CategoryCredentialCompromise, signals.SeverityCritical},
		{"An account disabled for spam is an account change", workspaceWarning(
			"account_disabled_spamming"),
			signals.CategoryAccountChange, signals.SeverityMedium},
		{"A suspicious login warning is a medium threat", workspaceWarning(
			"suspicious_login"), signals.CategoryThreat, signals.SeverityMedium},
		{"A stolen session cookie is a high threat", workspaceWarning(
			"user_signed_out_due_to_suspicious_session_cookie"),
			signals.CategoryThreat, signals.SeverityHigh},
		{"A passkey enrolment is an account change", map[string]any{
			"type": "account_warning", "name": "passkey_enrolled"},
			signals.CategoryAccountChange, signals.SeverityInfo},
		{"2-step verification disabled is an account change", map[string]any{
			"type": "2sv_change", "name": "2sv_disable"},
			signals.CategoryAccountChange, signals.SeverityInfo},
		{"A forwarding rule is other", map[string]any{
			"type": "email_forwarding_change",
			"name": "email_forwarding_out_of_domain"},
			signals.CategoryOther, signals.SeverityInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := workspaceBase
			if tt.event != nil {
				payload = workspaceWith(t, []any{tt.event})
			}
			s := decodeJSON(t, payload)
			if s.Category != tt.category || s.Severity != tt.severity {
				t.Errorf("category, severity = %s, %s; want %s, %s",
					s.Category, s.Severity, tt.category, tt.severity)
			}
		})
	}
}

func TestWorkspaceOtherApplicationsAreOther(t *testing.T) {
	s := decodeJSON(t, withFields(t, workspaceBase, map[string]any{
		"id": map[string]any{"time": "2026-11-30T08:00:00Z",
			"uniqueQualifier": "7", "applicationName": "admin"},
		"events": []any{map[string]any{"type": "USER_SETTINGS",
			"name": "SUSPEND_USER"}}}))
	if s.Category != signals.CategoryOther || s.Type != "SUSPEND_USER" ||
		s.DedupKey != "google_workspace::admin:2026-11-30T08:00:00Z:7:SUSPEND_USER" {
		t.Errorf("category %s, type %s, dedup key %q", s.Category, s.Type,
			s.DedupKey)
	}
}

func TestWorkspaceSignInNamesTheActorAndReadsItsParameters(t *testing.T) {
	s := decodeJSON(t, workspaceBase)
	want := []signals.Subject{sub(email, "gina@example.com", actor),
		sub(userID, "104400000000000000001", actor),
		sub(ip, "203.0.113.50", source)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
	if s.DedupKey != "google_workspace:C01abcdef:login:2026-11-30T08:00:00.000Z:"+
		"-4012345678901234567:login_success" {
		t.Errorf("dedup key = %q", s.DedupKey)
	}
	for k, v := range map[string]any{"outcome": "success", "is_suspicious": false,
		"login_type": "google_password", "login_challenge_method": "password,totp",
		"event_type": "login", "application": "login"} {
		if s.Attributes[k] != v {
			t.Errorf("attribute %s = %v, want %v", k, s.Attributes[k], v)
		}
	}
}

// An account warning is about the affected account. An actor who is
// someone else (an administrator) is kept as an attribute, never named:
// a policy acting on the account must not cut them off.
func TestWorkspaceWarningNamesTheAffectedAccountNotAnotherActor(t *testing.T) {
	stamp := map[string]any{"name": "login_timestamp",
		"intValue": "1796025600123456"}
	s := decodeJSON(t, workspaceWith(t, []any{workspaceWarning(
		"account_disabled_hijacked", stamp)}))
	want := []signals.Subject{sub(email, "hank@example.com", target),
		sub(ip, "203.0.113.50", source)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
	for k, v := range map[string]any{"actor_email": "gina@example.com",
		"reason": "hijacking", "login_time": "2026-11-30T08:00:00.123456Z"} {
		if s.Attributes[k] != v {
			t.Errorf("attribute %s = %v, want %v", k, s.Attributes[k], v)
		}
	}

	self := workspaceWarning("suspicious_login")
	self["parameters"] = []any{map[string]any{
		"name": "affected_email_address", "value": "Gina@example.com"}}
	s = decodeJSON(t, workspaceWith(t, []any{self}))
	want = []signals.Subject{sub(email, "Gina@example.com", target),
		sub(email, "gina@example.com", target),
		sub(userID, "104400000000000000001", target),
		sub(ip, "203.0.113.50", source)}
	if !slices.Equal(s.Subjects, want) || s.Attributes["actor_email"] != nil {
		t.Errorf("a warning about the actor:\n got %v %v\nwant %v",
			s.Subjects, s.Attributes["actor_email"], want)
	}
}

// A warning's actor may be an administrator: without an affected
// address, taking the actor for the account at risk cut the
// administrator off (account_disabled_hijacked disables whom it names).
// So such a warning names no one, whether its type or its name says it
// is a warning, and several affected addresses are each named.
func TestWorkspaceWarningNeverTakesItsActorForTheAccount(t *testing.T) {
	bare := map[string]any{"type": "account_warning",
		"name": "account_disabled_hijacked", "parameters": []any{}}
	byName := map[string]any{"name": "account_disabled_password_leak"}
	for _, event := range []map[string]any{bare, byName} {
		s := decodeJSON(t, workspaceWith(t, []any{event}))
		want := []signals.Subject{sub(ip, "203.0.113.50", source)}
		if !slices.Equal(s.Subjects, want) ||
			s.Attributes["actor_email"] != "gina@example.com" {
			t.Errorf("%s: subjects %v, actor_email %v; want %v and the "+
				"actor kept aside", event["name"], s.Subjects,
				s.Attributes["actor_email"], want)
		}
	}

	several := map[string]any{"type": "account_warning",
		"name": "suspicious_login", "parameters": []any{map[string]any{
			"name":       "affected_email_address",
			"multiValue": []any{"hank@example.com", "gina@example.com"}}}}
	s := decodeJSON(t, workspaceWith(t, []any{several}))
	want := []signals.Subject{sub(email, "hank@example.com", target),
		sub(email, "gina@example.com", target),
		sub(userID, "104400000000000000001", target),
		sub(ip, "203.0.113.50", source)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("several affected:\n got %v\nwant %v", s.Subjects, want)
	}
}

// Some exporters flatten parameters into an object from name to value:
// read alike (an account warning so written named no one, and a
// suspicious sign-in read as a plain one).
func TestWorkspaceFlattenedParametersReadAlike(t *testing.T) {
	warning := map[string]any{"type": "account_warning",
		"name": "account_disabled_hijacked", "parameters": map[string]any{
			"affected_email_address": "hank@example.com",
			"login_timestamp":        json.Number("1796025600123456")}}
	s := decodeJSON(t, workspaceWith(t, []any{warning}))
	want := []signals.Subject{sub(email, "hank@example.com", target),
		sub(ip, "203.0.113.50", source)}
	if !slices.Equal(s.Subjects, want) ||
		s.Attributes["login_time"] != "2026-11-30T08:00:00.123456Z" {
		t.Errorf("subjects %v, login time %v; want %v", s.Subjects,
			s.Attributes["login_time"], want)
	}

	suspicious := map[string]any{"type": "login", "name": "login_success",
		"parameters": map[string]any{"is_suspicious": true,
			"login_challenge_method": []any{"password", "totp"}}}
	s = decodeJSON(t, workspaceWith(t, []any{suspicious}))
	if s.Category != signals.CategoryThreat ||
		s.Attributes["login_challenge_method"] != "password,totp" {
		t.Errorf("category %s, attributes %v", s.Category, s.Attributes)
	}

	bad := map[string]any{"type": "login", "name": "login_success",
		"parameters": map[string]any{"login_timestamp": "soon"}}
	_, err := signals.Decode([]byte(workspaceWith(t, []any{bad})))
	checkErr(t, err, nil, `signal google_workspace: `+
		`events[0].parameters.login_timestamp: `+
		`not an epoch time in microseconds ("soon")`)
}

// The Reports API sends events as an array; the corpus' exporter wrote
// one event as an object. Both read the same.
func TestWorkspaceEventsAsAnObjectOrAnArrayReadTheSame(t *testing.T) {
	warning := workspaceWarning("suspicious_login")
	fromArray := decodeJSON(t, workspaceWith(t, []any{warning}))
	fromObject := decodeJSON(t, workspaceWith(t, warning))
	if fromArray.DedupKey != fromObject.DedupKey ||
		!slices.Equal(fromArray.Subjects, fromObject.Subjects) ||
		fromArray.Category != fromObject.Category {
		t.Errorf("array %v, object %v", fromArray, fromObject)
	}
}

// One payload is one signal: of several events the most severe decides,
// and the others are not dropped from view.
func TestWorkspaceActivityOfSeveralEventsIsItsMostSevere(t *testing.T) {
	s := decodeJSON(t, workspaceWith(t, []any{
		map[string]any{"type": "login", "name": "login_success"},
		workspaceWarning("suspicious_login"),
		workspaceWarning("account_disabled_hijacked"),
		workspaceWarning("suspicious_programmatic_login"),
	}))
	if s.Type != "account_disabled_hijacked" ||
		s.Attributes["events"] != "login_success,suspicious_login,"+
			"account_disabled_hijacked,suspicious_programmatic_login" {
		t.Errorf("type %s, events %v", s.Type, s.Attributes["events"])
	}
}

func TestWorkspaceBadFieldsAreNamedWithTheirPath(t *testing.T) {
	badStamp := map[string]any{"name": "login_timestamp", "intValue": "soon"}
	tests := []struct {
		name, payload, want string
	}{
		{"A login timestamp that is no integer", workspaceWith(t, []any{
			workspaceWarning("suspicious_login", badStamp)}),
			`signal google_workspace: events[0].parameters[1].intValue: ` +
				`not an epoch time in microseconds ("soon")`},
		{"The same in a lone event", workspaceWith(t,
			workspaceWarning("suspicious_login", badStamp)),
			`signal google_workspace: events.parameters[1].intValue: ` +
				`not an epoch time in microseconds ("soon")`},
		{"A negative login timestamp", workspaceWith(t, []any{workspaceWarning(
			"suspicious_login", map[string]any{"name": "login_timestamp",
				"intValue": -5})}),
			`signal google_workspace: events[0].parameters[1].intValue: ` +
				`not an epoch time in microseconds ("-5")`},
		{"No events", workspaceWith(t, []any{}),
			"signal google_workspace: events: empty"},
		{"An event that is no object", workspaceWith(t, []any{"login"}),
			"signal google_workspace: events[0]: not an object"},
		{"An event without a name", workspaceWith(t, []any{
			map[string]any{"type": "login"}}),
			"signal google_workspace: events[0].name: missing"},
		{"A bad activity time", withFields(t, workspaceBase, map[string]any{
			"id": map[string]any{"time": "today", "uniqueQualifier": "1",
				"applicationName": "login"}}),
			`signal google_workspace: id.time: not an RFC 3339 time ("today")`},
		{"No unique qualifier", withFields(t, workspaceBase, map[string]any{
			"id": map[string]any{"time": "2026-11-30T08:00:00Z",
				"applicationName": "login"}}),
			"signal google_workspace: id.uniqueQualifier: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(tt.payload))
			checkErr(t, err, nil, tt.want)
		})
	}
}

func TestWorkspaceLookalikesAreNotTakenForActivities(t *testing.T) {
	tests := []struct {
		name, payload, nearest string
	}{
		{"A list of activities", withFields(t, workspaceBase, map[string]any{
			"kind": "admin#reports#activities"}),
			"signal google_workspace: kind: not admin#reports#activity"},
		{"Events as a string", workspaceWith(t, "login_success"),
			"signal google_workspace: events: not an array or an object"},
		{"No application", withFields(t, workspaceBase, map[string]any{
			"id": map[string]any{"time": "2026-11-30T08:00:00Z"}}),
			"signal google_workspace: id.applicationName: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(tt.payload))
			if !errors.Is(err, signals.ErrUnknownFormat) ||
				!strings.Contains(err.Error(), tt.nearest) {
				t.Errorf("error = %v, want ErrUnknownFormat naming %q",
					err, tt.nearest)
			}
		})
	}
}
