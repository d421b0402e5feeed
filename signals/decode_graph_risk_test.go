package signals_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

const graphRiskBase = `{
  "@odata.type": "#microsoft.graph.riskDetection",
  "id": "rd-0001",
  "riskEventType": "anonymizedIPAddress",
  "riskState": "atRisk",
  "riskLevel": "high",
  "riskDetail": "none",
  "activity": "signin",
  "ipAddress": "203.0.113.9",
  "location": {"city": "Lyon", "countryOrRegion": "FR"},
  "activityDateTime": "2026-11-30T08:00:00.1234567Z",
  "detectedDateTime": "2026-11-30T08:01:00Z",
  "lastUpdatedDateTime": "2026-11-30T08:02:00Z",
  "userId": "11111111-aaaa-bbbb-cccc-000000000001",
  "userPrincipalName": "dana@example.com",
  "additionalInfo": "[{\"Key\":\"userAgent\",\"Value\":\"curl/8.0\"},` +
	`{\"Key\":\"riskReasons\",\"Value\":[\"suspiciousIP\",\"passwordSpray\"]}]"
}`

const riskyUserBase = `{
  "id": "22222222-aaaa-bbbb-cccc-000000000002",
  "isDeleted": false,
  "isProcessing": false,
  "riskLastUpdatedDateTime": "2026-11-30T09:00:00Z",
  "riskLevel": "medium",
  "riskState": "atRisk",
  "riskDetail": "none",
  "userDisplayName": "Eve Example",
  "userPrincipalName": "eve@example.com"
}`

func TestGraphRiskStateAndLevelDecideCategoryAndSeverity(t *testing.T) {
	tests := []struct {
		name, state, level string
		category           signals.Category
		severity           signals.Severity
	}{
		{"A high risk in force is a high threat", "atRisk", "high",
			signals.CategoryThreat, signals.SeverityHigh},
		{"A low risk in force is a low threat", "atRisk", "low",
			signals.CategoryThreat, signals.SeverityLow},
		{"Level none is info", "atRisk", "none",
			signals.CategoryThreat, signals.SeverityInfo},
		{"A hidden level reads as medium", "atRisk", "hidden",
			signals.CategoryThreat, signals.SeverityMedium},
		{"An unknown level reads as medium", "atRisk", "unknownFutureValue",
			signals.CategoryThreat, signals.SeverityMedium},
		{"A confirmed compromise is at least high", "confirmedCompromised", "low",
			signals.CategoryThreat, signals.SeverityHigh},
		{"A remediated risk is other", "remediated", "high",
			signals.CategoryOther, signals.SeverityHigh},
		{"A dismissed risk is other", "dismissed", "medium",
			signals.CategoryOther, signals.SeverityMedium},
		{"A sign-in confirmed safe is other", "confirmedSafe", "high",
			signals.CategoryOther, signals.SeverityHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for base, typ := range map[string]string{
				graphRiskBase: "anonymizedIPAddress", riskyUserBase: "riskyUser"} {
				s := decodeJSON(t, withFields(t, base, map[string]any{
					"riskState": tt.state, "riskLevel": tt.level}))
				if s.Category != tt.category || s.Severity != tt.severity ||
					s.Type != typ {
					t.Errorf("%s: category, severity = %s, %s; want %s, %s",
						typ, s.Category, s.Severity, tt.category, tt.severity)
				}
				over := tt.category == signals.CategoryOther
				if _, resolved := s.Attributes["resolved"]; resolved != over ||
					over && s.Attributes["resolved"] != true {
					t.Errorf("%s: resolved = %v, want it true only when over",
						typ, s.Attributes["resolved"])
				}
			}
		})
	}
}

func TestGraphRiskDetectionNamesTheUserAndReadsItsDetails(t *testing.T) {
	s := decodeJSON(t, graphRiskBase)
	want := []signals.Subject{sub(email, "dana@example.com", target),
		sub(userID, "11111111-aaaa-bbbb-cccc-000000000001", target),
		sub(ip, "203.0.113.9", source)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
	at := time.Date(2026, 11, 30, 8, 0, 0, 123456700, time.UTC)
	if !s.Time.Equal(at) {
		t.Errorf("time = %s, want the activity time to 100 ns", s.Time)
	}
	if s.DedupKey != "ms_graph_risk:rd-0001:2026-11-30T08:02:00Z" {
		t.Errorf("dedup key = %q", s.DedupKey)
	}
	for k, v := range map[string]any{"user_agent": "curl/8.0",
		"risk_reasons": "suspiciousIP,passwordSpray", "risk_state": "atRisk",
		"country": "FR", "ip_address": "203.0.113.9"} {
		if s.Attributes[k] != v {
			t.Errorf("attribute %s = %v, want %v", k, s.Attributes[k], v)
		}
	}
}

// A workload identity's risk names a service principal, by its object
// id and its application id, where a user's names a user (it decoded
// naming no one, and a risky service principal was of no known format).
func TestGraphRiskOfAServicePrincipalNamesIt(t *testing.T) {
	detection := `{"id": "sprd-0001", "riskEventType": "leakedCredentials",
		"riskLevel": "high", "riskState": "atRisk", "activity": "servicePrincipal",
		"detectedDateTime": "2026-11-30T08:00:00Z",
		"servicePrincipalId": "44444444-0000-4000-8000-000000000004",
		"servicePrincipalDisplayName": "ci-deployer",
		"appId": "55555555-0000-4000-8000-000000000005",
		"keyIds": ["66666666-0000-4000-8000-000000000006"]}`
	risky := `{"value": [{"id": "44444444-0000-4000-8000-000000000004",
		"appId": "55555555-0000-4000-8000-000000000005",
		"displayName": "ci-deployer", "isEnabled": true, "isProcessing": false,
		"riskLastUpdatedDateTime": "2026-11-30T09:00:00Z", "riskLevel": "high",
		"riskState": "confirmedCompromised", "riskDetail": "adminConfirmedServicePrincipalCompromised",
		"servicePrincipalType": "Application"}]}`
	want := []signals.Subject{
		sub(userID, "44444444-0000-4000-8000-000000000004", target),
		sub(clientID, "55555555-0000-4000-8000-000000000005", target)}
	s := decodeJSON(t, detection)
	if !slices.Equal(s.Subjects, want) || s.Category != signals.CategoryThreat {
		t.Errorf("detection: %s subjects %v, want a threat naming %v",
			s.Category, s.Subjects, want)
	}
	s = decodeJSON(t, risky)
	if !slices.Equal(s.Subjects, want) || s.Type != "riskyServicePrincipal" ||
		s.Severity != signals.SeverityHigh || s.DedupKey !=
		"ms_graph_risk:servicePrincipal:44444444-0000-4000-8000-000000000004:"+
			"2026-11-30T09:00:00Z" {
		t.Errorf("risky service principal: %s %s %s subjects %v, want %v",
			s.Type, s.Severity, s.DedupKey, s.Subjects, want)
	}
}

// Microsoft's own example has ipAddress "123.456.7.89": it is kept as
// written, and names no one.
func TestGraphRiskAddressThatIsNoIPIsKeptButNotNamed(t *testing.T) {
	s := decodeJSON(t, withFields(t, graphRiskBase,
		map[string]any{"ipAddress": "123.456.7.89"}))
	for _, sub := range s.Subjects {
		if sub.Type == ip {
			t.Errorf("named %v", sub)
		}
	}
	if s.Attributes["ip_address"] != "123.456.7.89" {
		t.Errorf("ip_address = %v", s.Attributes["ip_address"])
	}
}

func TestGraphRiskyUserIsNamedByItsIDAndPrincipalName(t *testing.T) {
	s := decodeJSON(t, riskyUserBase)
	want := []signals.Subject{sub(email, "eve@example.com", target),
		sub(userID, "22222222-aaaa-bbbb-cccc-000000000002", target)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
	if s.DedupKey != "ms_graph_risk:user:22222222-aaaa-bbbb-cccc-000000000002:"+
		"2026-11-30T09:00:00Z" || s.Attributes["deleted"] != false {
		t.Errorf("dedup key %q, deleted %v", s.DedupKey, s.Attributes["deleted"])
	}
}

// One payload is one signal: a list response of one detection is read
// as that detection, one of several is refused as a whole, naming how
// many it holds, rather than decoded as its first.
func TestGraphRiskValueWrapperMustHoldOneObject(t *testing.T) {
	alone := decodeJSON(t, graphRiskBase)
	wrapped := decodeJSON(t, `{"@odata.context": "x", "value": [`+
		graphRiskBase+`]}`)
	if wrapped.DedupKey != alone.DedupKey ||
		!slices.Equal(wrapped.Subjects, alone.Subjects) {
		t.Errorf("wrapped %q %v, alone %q %v", wrapped.DedupKey,
			wrapped.Subjects, alone.DedupKey, alone.Subjects)
	}
	_, err := signals.Decode([]byte(`{"value": [` + graphRiskBase + `, ` +
		riskyUserBase + `]}`))
	checkErr(t, err, nil, "signal ms_graph_risk: value: holds 2 risk "+
		"objects; send each as its own message")
	_, err = signals.Decode([]byte(`{"value": []}`))
	if !errors.Is(err, signals.ErrUnknownFormat) {
		t.Errorf("empty value: %v, want ErrUnknownFormat", err)
	}
}

func TestGraphRiskBadFieldsAreNamedWithTheirPath(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"additionalInfo that is not JSON", withFields(t, graphRiskBase,
			map[string]any{"additionalInfo": "{userAgent"}),
			`signal ms_graph_risk: additionalInfo: not a JSON array of ` +
				`Key/Value pairs ("{userAgent")`},
		{"additionalInfo pairs without a Key", withFields(t, graphRiskBase,
			map[string]any{"additionalInfo": `[{"Value": 1}]`}),
			`signal ms_graph_risk: additionalInfo: not a JSON array of ` +
				`Key/Value pairs ("[{\"Value\": 1}]")`},
		{"additionalInfo as an array", withFields(t, graphRiskBase,
			map[string]any{"additionalInfo": []any{"x"}}),
			`signal ms_graph_risk: additionalInfo: not a string ("[x]")`},
		{"No id", withFields(t, graphRiskBase, map[string]any{"id": nil}),
			"signal ms_graph_risk: id: missing"},
		{"No time", withFields(t, graphRiskBase, map[string]any{
			"activityDateTime": nil, "detectedDateTime": nil}),
			"signal ms_graph_risk: activityDateTime or detectedDateTime: missing"},
		{"A bad time inside value", `{"value": [` + withFields(t, graphRiskBase,
			map[string]any{"activityDateTime": "yesterday"}) + `]}`,
			`signal ms_graph_risk: value[0].activityDateTime: ` +
				`not an RFC 3339 time ("yesterday")`},
		{"A risky user's bad update time", withFields(t, riskyUserBase,
			map[string]any{"riskLastUpdatedDateTime": 1796029200}),
			`signal ms_graph_risk: riskLastUpdatedDateTime: ` +
				`not an RFC 3339 time ("1796029200")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(tt.payload))
			checkErr(t, err, nil, tt.want)
		})
	}
}

func TestGraphRiskLookalikesAreNotTakenForRisk(t *testing.T) {
	tests := []struct {
		name, payload, nearest string
	}{
		{"Risk level as a number", withFields(t, graphRiskBase,
			map[string]any{"riskLevel": 3}),
			"signal ms_graph_risk: riskLevel: not a string"},
		{"A user without risk fields", `{"id": "u1",
			"userPrincipalName": "u@example.com", "riskLevel": "low"}`, ""},
		{"A value list of something else", `{"value": [{"id": "u1"}]}`, ""},
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

func TestGraphRiskCorpusDetectionKeepsSevenDigitsAndItsAddress(t *testing.T) {
	corpusFiles(t)
	s := decodeFile(t, filepath.Join(corpusDir,
		"ms-graph-risk/riskdetection-get-response.json"))
	at := time.Date(2018, 9, 5, 0, 9, 18, 782285100, time.UTC)
	if !s.Time.Equal(at) || s.Attributes["ip_address"] != "123.456.7.89" ||
		s.Attributes["risk_state"] != "remediated" {
		t.Errorf("time %s, attributes %v", s.Time, s.Attributes)
	}
}
