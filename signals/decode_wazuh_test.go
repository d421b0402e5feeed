package signals_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

const wazuhBase = `{
  "timestamp": "2026-11-30T08:00:00.125+0000",
  "rule": {
    "level": 10,
    "description": "sshd: brute force trying to get access to the system. Authentication failed.",
    "id": "5763",
    "firedtimes": 3,
    "mitre": {"id": ["T1110"], "technique": ["Brute Force"]},
    "groups": ["syslog", "sshd", "authentication_failures"]
  },
  "agent": {"id": "012", "name": "bastion-1", "ip": "10.0.0.12"},
  "manager": {"name": "wazuh-manager-1"},
  "id": "1796025600.4242",
  "full_log": "Nov 30 08:00:00 bastion-1 sshd[811]: Failed password ` +
	`for carol from 198.51.100.77 port 52144 ssh2",
  "decoder": {"parent": "sshd", "name": "sshd"},
  "data": {"srcip": "198.51.100.77", "srcport": "52144", "dstuser": "carol"},
  "location": "/var/log/auth.log"
}`

// wazuhRule returns wazuhBase with rule fields changed.
func wazuhRule(t *testing.T, fields map[string]any) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(wazuhBase), &doc); err != nil {
		t.Fatal(err)
	}
	rule := doc["rule"].(map[string]any)
	for k, v := range fields {
		rule[k] = v
	}
	return withFields(t, wazuhBase, map[string]any{"rule": rule})
}

func TestWazuhLevelGivesTheSeverity(t *testing.T) {
	tests := []struct {
		level int
		want  signals.Severity
	}{
		{0, signals.SeverityInfo}, {3, signals.SeverityInfo},
		{4, signals.SeverityLow}, {6, signals.SeverityLow},
		{7, signals.SeverityMedium}, {11, signals.SeverityMedium},
		{12, signals.SeverityHigh}, {14, signals.SeverityHigh},
		{15, signals.SeverityCritical}, {16, signals.SeverityCritical},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("Level ", tt.level), func(t *testing.T) {
			s := decodeJSON(t, wazuhRule(t, map[string]any{"level": tt.level}))
			if s.Severity != tt.want {
				t.Errorf("severity %s, want %s", s.Severity, tt.want)
			}
		})
	}
}

func TestWazuhLevelOutsideItsScaleIsAFieldError(t *testing.T) {
	for _, level := range []string{"17", "-1", "5.5"} {
		t.Run(level, func(t *testing.T) {
			_, err := signals.Decode([]byte(wazuhRule(t,
				map[string]any{"level": json.Number(level)})))
			checkErr(t, err, nil, `signal wazuh: rule.level: `+
				`not a Wazuh level from 0 to 16 ("`+level+`")`)
		})
	}
}

func TestWazuhGroupsSayWhetherItIsASignIn(t *testing.T) {
	tests := []struct {
		name     string
		groups   []any
		category signals.Category
		outcome  any
	}{
		{"Many failures are a failed sign-in", []any{"sshd", "authentication_failures"},
			signals.CategoryAuthentication, "failure"},
		{"An invalid login is a failed sign-in", []any{"invalid_login", "authentication_success"},
			signals.CategoryAuthentication, "failure"},
		{"A success is a sign-in", []any{"sshd", "authentication_success"},
			signals.CategoryAuthentication, "success"},
		{"A file change is a threat", []any{"ossec", "syscheck"},
			signals.CategoryThreat, nil},
		{"No groups is a threat", nil, signals.CategoryThreat, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, wazuhRule(t, map[string]any{"groups": tt.groups}))
			if s.Category != tt.category || s.Attributes["outcome"] != tt.outcome {
				t.Errorf("category %s, outcome %v; want %s, %v", s.Category,
					s.Attributes["outcome"], tt.category, tt.outcome)
			}
		})
	}
}

func TestWazuhNamesUsersAddressesAndTheAgent(t *testing.T) {
	s := decodeJSON(t, wazuhBase)
	want := []signals.Subject{sub(username, "carol", target),
		sub(ip, "198.51.100.77", source), sub(device, "bastion-1", location)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
	win := decodeJSON(t, withFields(t, wazuhBase, map[string]any{
		"data": map[string]any{"win": map[string]any{"eventdata": map[string]any{
			"subjectUserName": "-", "targetUserName": "dave@example.com",
			"ipAddress": "198.51.100.9"}}}}))
	want = []signals.Subject{sub(email, "dave@example.com", target),
		sub(ip, "198.51.100.9", source), sub(device, "bastion-1", location)}
	if !slices.Equal(win.Subjects, want) {
		t.Errorf("windows subjects:\n got %v\nwant %v", win.Subjects, want)
	}
	sudo := decodeJSON(t, withFields(t, wazuhBase, map[string]any{
		"data": map[string]any{"srcuser": "alice", "dstuser": "root"}}))
	want = []signals.Subject{sub(username, "alice", actor),
		sub(username, "root", target), sub(device, "bastion-1", location)}
	if !slices.Equal(sudo.Subjects, want) {
		t.Errorf("sudo subjects:\n got %v\nwant %v", sudo.Subjects, want)
	}
}

// A successful sign-in's account is who now acts: as a target only,
// no policy saw a service account sign in from a new network.
func TestWazuhSuccessfulSignInNamesTheAccountAsTheActor(t *testing.T) {
	accepted := withFields(t, wazuhRule(t, map[string]any{"id": "5715",
		"level": 3, "groups": []any{"syslog", "sshd", "authentication_success"}}),
		map[string]any{"data": map[string]any{"srcip": "203.0.113.70",
			"dstuser": "deploy-bot"}})
	s := decodeJSON(t, accepted)
	want := []signals.Subject{sub(username, "deploy-bot", actor),
		sub(ip, "203.0.113.70", source), sub(device, "bastion-1", location)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
}

func TestWazuhKeepsRuleFactsButNotTheLogLine(t *testing.T) {
	s := decodeJSON(t, wazuhBase)
	if s.Type != "5763" || !strings.HasPrefix(s.Summary, "sshd: brute force") {
		t.Errorf("type %q, summary %q", s.Type, s.Summary)
	}
	for k, v := range map[string]any{"level": json.Number("10"),
		"rule_groups": "syslog,sshd,authentication_failures",
		"mitre_ids":   "T1110", "agent_name": "bastion-1", "decoder": "sshd",
		"fired_times": json.Number("3")} {
		if s.Attributes[k] != v {
			t.Errorf("attribute %s = %v, want %v", k, s.Attributes[k], v)
		}
	}
	out, _ := json.Marshal(s)
	if strings.Contains(string(out), "Failed password") {
		t.Errorf("the signal keeps full_log: %s", out)
	}
	n := decodeJSON(t, wazuhRule(t, map[string]any{"id": 5763}))
	if n.Type != "5763" {
		t.Errorf("a numeric rule id gives type %q", n.Type)
	}
}

func TestWazuhTimestampIsReadWithItsOffset(t *testing.T) {
	tests := []struct {
		raw  string
		want time.Time
	}{
		{"2026-11-30T08:00:00.125+0000",
			time.Date(2026, 11, 30, 8, 0, 0, 125e6, time.UTC)},
		{"2026-11-30T10:00:00.125+0200",
			time.Date(2026, 11, 30, 8, 0, 0, 125e6, time.UTC)},
		{"2026-11-30T08:00:00Z", time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			s := decodeJSON(t, withFields(t, wazuhBase,
				map[string]any{"timestamp": tt.raw}))
			if !s.Time.Equal(tt.want) || s.Time.Location() != time.UTC {
				t.Errorf("time = %s, want %s", s.Time, tt.want)
			}
		})
	}
	_, err := signals.Decode([]byte(withFields(t, wazuhBase,
		map[string]any{"timestamp": "Nov 30 08:00:00"})))
	checkErr(t, err, nil, `signal wazuh: timestamp: `+
		`not a Wazuh or RFC 3339 time ("Nov 30 08:00:00")`)
}

func TestWazuhDedupKeyIsTheAlertIDOfItsManager(t *testing.T) {
	if s := decodeJSON(t, wazuhBase); s.DedupKey !=
		"wazuh:wazuh-manager-1:1796025600.4242" {
		t.Errorf("dedup key %q", s.DedupKey)
	}
	s := decodeJSON(t, withFields(t, wazuhBase, map[string]any{"manager": nil}))
	if s.DedupKey != "wazuh:1796025600.4242" {
		t.Errorf("without a manager: %q", s.DedupKey)
	}
	_, err := signals.Decode([]byte(withFields(t, wazuhBase,
		map[string]any{"id": nil})))
	checkErr(t, err, nil, "signal wazuh: id: missing")
}

func TestWazuhLookalikesAreNotTakenForAlerts(t *testing.T) {
	tests := []struct {
		name     string
		payload  string
		nearMiss string
	}{
		{"A level written as a string", wazuhRule(t,
			map[string]any{"level": "10"}), "signal wazuh: rule.level: not a number"},
		{"No agent", withFields(t, wazuhBase, map[string]any{"agent": nil}),
			"signal wazuh: agent: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := signals.Decode([]byte(tt.payload))
			if s.Format == signals.FormatWazuh ||
				!errors.Is(err, signals.ErrUnknownFormat) ||
				!strings.Contains(err.Error(), tt.nearMiss) {
				t.Errorf("format %q, error %v; want ErrUnknownFormat naming %q",
					s.Format, err, tt.nearMiss)
			}
		})
	}
}

// Filebeat ships each line of alerts.json with an ECS version and an
// @timestamp of its own: that is still a Wazuh alert (it fell to no
// decoder, and was dead-lettered). An ECS document that copied Wazuh's
// rule and agent has event fields, and is ECS.
func TestWazuhAlertShippedByFilebeatIsWazuh(t *testing.T) {
	shipped := withFields(t, wazuhBase, map[string]any{
		"ecs":        map[string]any{"version": "8.11.0"},
		"@timestamp": "2026-11-30T08:00:01.000Z",
		"log":        map[string]any{"file": map[string]any{"path": "/var/ossec/logs/alerts/alerts.json"}}})
	if s := decodeJSON(t, shipped); s.Format != signals.FormatWazuh {
		t.Errorf("format = %s, want wazuh", s.Format)
	}
	copied := withFields(t, shipped, map[string]any{
		"event": map[string]any{"kind": "alert"}})
	if s := decodeJSON(t, copied); s.Format != signals.FormatECS {
		t.Errorf("with event fields: format = %s, want ecs", s.Format)
	}
}
