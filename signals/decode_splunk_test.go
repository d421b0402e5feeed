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

const splunkBase = `{
  "sid": "scheduler__admin__search__RMD5a1b2c3d4e5f6_at_1796025600_42",
  "search_name": "Excessive failed logins",
  "app": "search",
  "owner": "admin",
  "results_link": "https://splunk.example.com:8000/app/search/@go?` +
	`sid=scheduler__admin__search__RMD5a1b2c3d4e5f6_at_1796025600_42",
  "result": {
    "_time": "1796025612",
    "user": "carol",
    "src": "198.51.100.77",
    "host": "bastion-1",
    "count": "31",
    "severity": "high",
    "sourcetype": "linux_secure",
    "PWD": "",
    "_raw": "Nov 30 08:00:12 bastion-1 sshd[811]: session opened for user root"
  }
}`

// splunkResult returns splunkBase with result fields changed: a nil
// value deletes the field.
func splunkResult(t *testing.T, fields map[string]any) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(splunkBase), &doc); err != nil {
		t.Fatal(err)
	}
	result := doc["result"].(map[string]any)
	for k, v := range fields {
		if v == nil {
			delete(result, k)
			continue
		}
		result[k] = v
	}
	return withFields(t, splunkBase, map[string]any{"result": result})
}

func TestSplunkTimeIsTheResultsElseTheSchedulers(t *testing.T) {
	at := func(sec, nsec int64) time.Time { return time.Unix(sec, nsec).UTC() }
	tests := []struct {
		name string
		time any
		want time.Time
	}{
		{"Epoch seconds as a string", "1796025612", at(1796025612, 0)},
		{"Epoch seconds with a fraction", "1796025612.250", at(1796025612, 250e6)},
		{"An RFC 3339 time", "2026-11-30T08:00:12.000+00:00", at(1796025612, 0)},
		{"No _time, so the time in the sid", nil, at(1796025600, 0)},
		{"An empty _time, so the time in the sid", "", at(1796025600, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, splunkResult(t, map[string]any{"_time": tt.time}))
			if !s.Time.Equal(tt.want) || s.Time.Location() != time.UTC {
				t.Errorf("time = %s, want %s", s.Time, tt.want)
			}
		})
	}
}

func TestSplunkBadTimesAreFieldErrors(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    string
	}{
		{"Words", splunkResult(t, map[string]any{"_time": "yesterday"}),
			`signal splunk: result._time: not epoch seconds or an RFC 3339 time ("yesterday")`},
		{"A number, which Splunk never sends", splunkResult(t,
			map[string]any{"_time": 1796025612}),
			`signal splunk: result._time: not a string or a list of strings ("1796025612")`},
		{"No _time and an ad hoc sid", withFields(t, splunkResult(t,
			map[string]any{"_time": nil}), map[string]any{"sid": "1796025600.42"}),
			"signal splunk: result._time: missing, and the sid carries no time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(tt.payload))
			checkErr(t, err, nil, tt.want)
		})
	}
}

func TestSplunkSeverityComesFromTheResultRow(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		want   signals.Severity
	}{
		{"A CIM label", map[string]any{"severity": "high"}, signals.SeverityHigh},
		{"In capitals", map[string]any{"severity": "CRITICAL"}, signals.SeverityCritical},
		{"Informational", map[string]any{"severity": "informational"}, signals.SeverityInfo},
		{"A syslog level", map[string]any{"severity": "err"}, signals.SeverityHigh},
		{"Splunk's alert scale", map[string]any{"severity": "5"}, signals.SeverityHigh},
		{"An empty severity, so the urgency", map[string]any{"severity": "",
			"urgency": "medium"}, signals.SeverityMedium},
		{"Neither is info", map[string]any{"severity": nil}, signals.SeverityInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, splunkResult(t, tt.fields))
			if s.Severity != tt.want || s.Category != signals.CategoryThreat {
				t.Errorf("severity %s, category %s; want %s threat",
					s.Severity, s.Category, tt.want)
			}
		})
	}
	_, err := signals.Decode([]byte(splunkResult(t,
		map[string]any{"severity": "urgent"})))
	checkErr(t, err, nil, `signal splunk: result.severity: not a severity ("urgent")`)
}

func TestSplunkNamesTheUsersOfTheRow(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		want   []signals.Subject
	}{
		{"A user alone is the actor", nil, []signals.Subject{
			sub(username, "carol", actor), sub(ip, "198.51.100.77", source),
			sub(device, "bastion-1", location)}},
		{"With src_user, user is the account acted on", map[string]any{
			"src_user": "carol", "user": "root", "src": "bastion-1"},
			[]signals.Subject{sub(username, "carol", actor),
				sub(username, "root", target), sub(device, "bastion-1", location)}},
		{"A multivalue field names each, e-mails as e-mails", map[string]any{
			"user": []any{"carol", "dave@example.com"}, "src": nil},
			[]signals.Subject{sub(username, "carol", actor),
				sub(email, "dave@example.com", actor),
				sub(device, "bastion-1", location)}},
		{"A tstats row over a data model names its object's fields too",
			map[string]any{"user": nil, "src": nil, "host": nil,
				"Authentication.user": "carol", "Authentication.src": "198.51.100.79",
				"Authentication.dest": "vpn-gw-1"},
			[]signals.Subject{sub(username, "carol", actor),
				sub(ip, "198.51.100.79", source)}},
		{"A data model's src_user makes its user the account acted on",
			map[string]any{"user": nil, "src": nil, "host": nil,
				"All_Changes.Account_Management.src_user": "carol",
				"All_Changes.user":                        "root"},
			[]signals.Subject{sub(username, "carol", actor),
				sub(username, "root", target)}},
		{"unknown, - and empty values name no one", map[string]any{
			"user": "unknown", "src_user": "-", "user_name": "", "src": nil,
			"src_ip": "198.51.100.78", "user_id": "S-1-5-21-1"},
			[]signals.Subject{sub(userID, "S-1-5-21-1", actor),
				sub(ip, "198.51.100.78", source), sub(device, "bastion-1", location)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, splunkResult(t, tt.fields))
			if !slices.Equal(s.Subjects, tt.want) {
				t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, tt.want)
			}
		})
	}
	_, err := signals.Decode([]byte(splunkResult(t,
		map[string]any{"user": map[string]any{"name": "carol"}})))
	checkErr(t, err, nil, `signal splunk: result.user: `+
		`not a string or a list of strings ("map[name:carol]")`)
}

func TestSplunkDedupKeyTellsRowsOfOneSearchApart(t *testing.T) {
	a := decodeJSON(t, splunkBase)
	again := decodeJSON(t, splunkResult(t, nil))
	other := decodeJSON(t, splunkResult(t, map[string]any{"user": "dave"}))
	prefix := "splunk:scheduler__admin__search__RMD5a1b2c3d4e5f6_at_1796025600_42:"
	if !strings.HasPrefix(a.DedupKey, prefix) || a.DedupKey != again.DedupKey ||
		a.DedupKey == other.DedupKey {
		t.Errorf("dedup keys %q, %q (same row), %q (another row)",
			a.DedupKey, again.DedupKey, other.DedupKey)
	}
	if a.Type != "Excessive failed logins" || a.Attributes["app"] != "search" ||
		a.Attributes["sourcetype"] != "linux_secure" {
		t.Errorf("type %q, attributes %v", a.Type, a.Attributes)
	}
}

func TestSplunkLookalikesAreNotTakenForWebhooks(t *testing.T) {
	tests := []struct {
		name     string
		fields   map[string]any
		nearMiss string
	}{
		{"No results link", map[string]any{"results_link": nil},
			"signal splunk: results_link: missing"},
		{"A result that is a list", map[string]any{"result": []any{}},
			"signal splunk: result: not an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(withFields(t, splunkBase, tt.fields)))
			if !errors.Is(err, signals.ErrUnknownFormat) ||
				!strings.Contains(err.Error(), tt.nearMiss) {
				t.Errorf("error = %v, want ErrUnknownFormat naming %q",
					err, tt.nearMiss)
			}
		})
	}
}
