package signals_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

const ecsBase = `{
  "@timestamp": "2026-11-30T08:00:00.000Z",
  "ecs": {"version": "8.11.0"},
  "event": {"kind": "event", "category": ["authentication"],
    "type": ["start"], "action": "user.session.start",
    "outcome": "success", "dataset": "okta.system", "id": "evt-1"},
  "user": {"name": "carol@example.com", "id": "00ucarol"},
  "source": {"ip": "198.51.100.77"},
  "host": {"name": "collector-1"}
}`

// ecsAlertDotted is an Elastic Security alert as its alerts index
// writes it: dotted member names beside nested ones.
const ecsAlertDotted = `{
  "@timestamp": "2026-11-30T08:05:00.000Z",
  "ecs.version": "8.11.0",
  "event.kind": "signal",
  "event.action": "user.session.start",
  "kibana.alert.uuid": "c0ffee00-1111-2222-3333-444455556666",
  "kibana.alert.rule.name": "Impossible Travel",
  "kibana.alert.severity": "critical",
  "kibana.alert.risk_score": 99,
  "user": {"name": "carol@example.com"},
  "user.target.name": "dave",
  "source.ip": "203.0.113.9"
}`

// ecsEvent returns ecsBase with event fields changed: a nil value
// deletes the field.
func ecsEvent(t *testing.T, fields map[string]any) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(ecsBase), &doc); err != nil {
		t.Fatal(err)
	}
	event := doc["event"].(map[string]any)
	for k, v := range fields {
		if v == nil {
			delete(event, k)
			continue
		}
		event[k] = v
	}
	return withFields(t, ecsBase, map[string]any{"event": event})
}

func TestECSCategoryFollowsKindAndCategory(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		want   signals.Category
	}{
		{"An authentication event", nil, signals.CategoryAuthentication},
		{"A category as one string", map[string]any{"category": "session"},
			signals.CategoryAuthentication},
		{"An alert", map[string]any{"kind": "alert"}, signals.CategoryThreat},
		{"An Elastic Security signal", map[string]any{"kind": "signal"},
			signals.CategoryThreat},
		{"Malware", map[string]any{"category": []any{"malware", "file"}},
			signals.CategoryThreat},
		{"An account change", map[string]any{"category": []any{"iam"}},
			signals.CategoryAccountChange},
		{"Network traffic", map[string]any{"category": []any{"network"}},
			signals.CategoryOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, ecsEvent(t, tt.fields))
			if s.Category != tt.want {
				t.Errorf("category %s, want %s", s.Category, tt.want)
			}
		})
	}
}

func TestECSSeverityIsTheAlertsLabelElseItsRiskScore(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    signals.Severity
	}{
		{"No severity is info", ecsBase, signals.SeverityInfo},
		{"The label wins over the score", ecsAlertDotted, signals.SeverityCritical},
		{"Risk score 21", ecsEvent(t, map[string]any{"risk_score": 21}), signals.SeverityLow},
		{"Risk score 22", ecsEvent(t, map[string]any{"risk_score": 22}), signals.SeverityMedium},
		{"Risk score 47.5", ecsEvent(t, map[string]any{"risk_score": 47.5}), signals.SeverityMedium},
		{"Risk score 73", ecsEvent(t, map[string]any{"risk_score": 73}), signals.SeverityHigh},
		{"Risk score 100", ecsEvent(t, map[string]any{"risk_score": 100}), signals.SeverityCritical},
		{"event.severity is left alone", ecsEvent(t, map[string]any{"severity": 99}),
			signals.SeverityInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s := decodeJSON(t, tt.payload); s.Severity != tt.want {
				t.Errorf("severity %s, want %s", s.Severity, tt.want)
			}
		})
	}
}

func TestECSBadFieldsAreFieldErrors(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"A risk score above 100", ecsEvent(t, map[string]any{"risk_score": 101}),
			`signal ecs: event.risk_score: not a risk score from 0 to 100 ("101")`},
		{"A risk score as a word", ecsEvent(t, map[string]any{"risk_score": "high"}),
			`signal ecs: event.risk_score: not a risk score from 0 to 100 ("high")`},
		{"A severity label Elastic does not have", strings.Replace(ecsAlertDotted,
			`"critical"`, `"severe"`, 1),
			`signal ecs: kibana.alert.severity: not a severity label ("severe")`},
		{"A bad @timestamp", withFields(t, ecsBase, map[string]any{"@timestamp": "soon"}),
			`signal ecs: @timestamp: not an RFC 3339 time ("soon")`},
		{"A field given nested and dotted", withFields(t, ecsBase,
			map[string]any{"event.kind": "alert"}),
			"signal ecs: event.kind: given both nested and dotted"},
		{"A value with fields below it", withFields(t, ecsBase,
			map[string]any{"user": "carol", "user.name": "carol"}),
			"signal ecs: user: holds a value and has fields below it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(tt.payload))
			checkErr(t, err, nil, tt.want)
		})
	}
}

func TestECSDottedAndNestedNamesReadAlike(t *testing.T) {
	s := decodeJSON(t, ecsAlertDotted)
	want := []signals.Subject{sub(email, "carol@example.com", actor),
		sub(username, "dave", target), sub(ip, "203.0.113.9", source)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
	if s.Category != signals.CategoryThreat || s.Summary != "Impossible Travel" ||
		s.Attributes["finding_type"] != "Impossible Travel" ||
		s.DedupKey != "ecs:c0ffee00-1111-2222-3333-444455556666" {
		t.Errorf("category %s, summary %q, attributes %v, dedup key %q",
			s.Category, s.Summary, s.Attributes, s.DedupKey)
	}
	flat := `{"@timestamp": 1796025600000, "ecs.version": "8.11.0",
		"event.kind": "event", "user.name": "carol"}`
	nested := `{"@timestamp": 1796025600000, "ecs": {"version": "8.11.0"},
		"event": {"kind": "event"}, "user": {"name": "carol"}}`
	a, b := decodeJSON(t, flat), decodeJSON(t, nested)
	if !strings.HasPrefix(a.DedupKey, "ecs:sha256:") || a.DedupKey != b.DedupKey ||
		!a.Time.Equal(time.Unix(1796025600, 0)) {
		t.Errorf("dedup keys %q and %q, time %s", a.DedupKey, b.DedupKey, a.Time)
	}
}

func TestECSNamesItsUserFieldsByRole(t *testing.T) {
	s := decodeJSON(t, withFields(t, ecsBase, map[string]any{
		"user": map[string]any{"name": "admin", "email": "admin@example.com",
			"target": map[string]any{"name": "erin", "id": "00uerin"}},
		"source":      map[string]any{"ip": "0.0.0.0"},
		"client":      map[string]any{"ip": "198.51.100.5", "user": map[string]any{"id": "00uadmin"}},
		"destination": map[string]any{"user": map[string]any{"email": "erin@example.com"}},
	}))
	want := []signals.Subject{
		sub(email, "admin@example.com", actor), sub(username, "admin", actor),
		sub(userID, "00uadmin", actor),
		sub(userID, "00uerin", target), sub(username, "erin", target),
		sub(email, "erin@example.com", target),
		sub(ip, "198.51.100.5", source), sub(device, "collector-1", location),
	}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
	if s.DedupKey != "ecs:okta.system:evt-1" || s.Type != "user.session.start" ||
		s.Attributes["outcome"] != "success" {
		t.Errorf("dedup key %q, type %q, attributes %v", s.DedupKey, s.Type,
			s.Attributes)
	}
}

// Elasticsearch takes a list for any field: each user of one is named
// (a list was skipped, naming no one); an alert of Elastic Security 7
// keeps its rule's name under signal.rule (it had no summary).
func TestECSNamesEachOfAListAndReadsARuleOfVersion7(t *testing.T) {
	s := decodeJSON(t, withFields(t, ecsBase, map[string]any{
		"event": map[string]any{"kind": "signal"},
		"signal": map[string]any{"rule": map[string]any{
			"name": "Brute force then success", "severity": "high"}},
		"user": map[string]any{"name": []any{"carol@example.com", "dave"},
			"id": []any{json.Number("1001"), "00udave"}},
	}))
	want := []signals.Subject{sub(userID, "1001", actor),
		sub(userID, "00udave", actor), sub(email, "carol@example.com", actor),
		sub(username, "dave", actor), sub(ip, "198.51.100.77", source),
		sub(device, "collector-1", location)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
	if s.Summary != "Brute force then success" ||
		s.Attributes["finding_type"] != s.Summary ||
		s.Severity != signals.SeverityHigh {
		t.Errorf("summary %q, finding type %v, severity %s", s.Summary,
			s.Attributes["finding_type"], s.Severity)
	}
}

// event.original may hold a whole event of a format killswitch reads;
// the signal still comes from the ECS fields alone.
func TestECSDoesNotDecodeTheOriginalEvent(t *testing.T) {
	original := withFields(t, oktaBase, map[string]any{"actor": map[string]any{
		"id": "00umallory", "type": "User", "alternateId": "mallory@example.com"}})
	s := decodeJSON(t, ecsEvent(t, map[string]any{"original": original}))
	want := []signals.Subject{sub(userID, "00ucarol", actor),
		sub(email, "carol@example.com", actor), sub(ip, "198.51.100.77", source),
		sub(device, "collector-1", location)}
	if s.Format != signals.FormatECS || !slices.Equal(s.Subjects, want) {
		t.Errorf("format %s, subjects:\n got %v\nwant %v", s.Format,
			s.Subjects, want)
	}
	out, _ := json.Marshal(s)
	if strings.Contains(string(out), "mallory") {
		t.Errorf("the signal reads event.original: %s", out)
	}
}

func TestECSLookalikesAreNotTakenForDocuments(t *testing.T) {
	tests := []struct {
		name     string
		fields   map[string]any
		nearMiss string
	}{
		{"No ECS version", map[string]any{"ecs": nil},
			"signal ecs: ecs.version: missing"},
		{"No event fields", map[string]any{"event": nil},
			"signal ecs: event: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(withFields(t, ecsBase, tt.fields)))
			if !errors.Is(err, signals.ErrUnknownFormat) ||
				!strings.Contains(err.Error(), tt.nearMiss) {
				t.Errorf("error = %v, want ErrUnknownFormat naming %q",
					err, tt.nearMiss)
			}
		})
	}
}
