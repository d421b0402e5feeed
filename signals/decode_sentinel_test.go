package signals_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

const sentinelBase = `{
  "id": "/subscriptions/s1/resourceGroups/rg/providers/` +
	`Microsoft.OperationalInsights/workspaces/w/providers/` +
	`Microsoft.SecurityInsights/Incidents/inc-0001",
  "name": "inc-0001",
  "type": "Microsoft.SecurityInsights/Incidents",
  "etag": "\"0a00b1c2-0000-0000-0000-000000000000\"",
  "properties": {
    "title": "Password spray followed by a sign-in",
    "severity": "High",
    "status": "Active",
    "owner": {"objectId": "o1", "email": "analyst@example.com",
      "userPrincipalName": "analyst@example.com", "assignedTo": "An Analyst"},
    "createdTimeUtc": "2026-11-30T08:00:00Z",
    "lastModifiedTimeUtc": "2026-11-30T08:05:00.1234567Z",
    "incidentNumber": 42,
    "providerName": "Azure Sentinel",
    "providerIncidentId": "42",
    "relatedAnalyticRuleIds": [
      "/subscriptions/s1/providers/Microsoft.SecurityInsights/alertRules/rule-a"
    ],
    "additionalData": {"alertsCount": 2, "tactics": ["CredentialAccess"]},
    "relatedEntities": [
      {"kind": "Account", "properties": {"accountName": "frank",
        "upnSuffix": "example.com", "aadUserId": "33333333-0000-0000-0000-000000000003",
        "friendlyName": "frank"}},
      {"kind": "Account", "properties": {"accountName": "svc-backup",
        "ntDomain": "CORP"}},
      {"kind": "Ip", "properties": {"address": "198.51.100.7"}},
      {"kind": "Host", "properties": {"hostName": "web-1"}}
    ]
  }
}`

// withProperties returns sentinelBase with the given properties set; a
// nil value deletes one.
func withProperties(t *testing.T, fields map[string]any) string {
	t.Helper()
	var doc struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal([]byte(sentinelBase), &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.Properties
	for k, v := range fields {
		if v == nil {
			delete(props, k)
			continue
		}
		props[k] = v
	}
	return withFields(t, sentinelBase, map[string]any{"properties": props})
}

func TestSentinelStatusAndSeverityDecideCategoryAndSeverity(t *testing.T) {
	tests := []struct {
		name     string
		fields   map[string]any
		category signals.Category
		severity signals.Severity
	}{
		{"An active high incident is a high threat", nil,
			signals.CategoryThreat, signals.SeverityHigh},
		{"A new medium incident is a medium threat", map[string]any{
			"status": "New", "severity": "Medium"},
			signals.CategoryThreat, signals.SeverityMedium},
		{"Informational is info", map[string]any{"severity": "Informational"},
			signals.CategoryThreat, signals.SeverityInfo},
		{"An unknown severity reads as high", map[string]any{"severity": "Critical"},
			signals.CategoryThreat, signals.SeverityHigh},
		{"A closed true positive is other", map[string]any{"status": "Closed",
			"classification": "TruePositive"},
			signals.CategoryOther, signals.SeverityHigh},
		{"A closed false positive is other", map[string]any{"status": "closed",
			"classification": "FalsePositive", "severity": "Low"},
			signals.CategoryOther, signals.SeverityLow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, withProperties(t, tt.fields))
			if s.Category != tt.category || s.Severity != tt.severity {
				t.Errorf("category, severity = %s, %s; want %s, %s",
					s.Category, s.Severity, tt.category, tt.severity)
			}
			closed := tt.category == signals.CategoryOther
			if _, resolved := s.Attributes["resolved"]; resolved != closed ||
				closed && s.Attributes["resolved"] != true {
				t.Errorf("resolved = %v, want it true only when closed",
					s.Attributes["resolved"])
			}
		})
	}
}

// The owner is the analyst the incident is assigned to: naming them
// would let a policy revoke the responder's own sessions.
func TestSentinelNamesRelatedAccountsAndNeverTheOwner(t *testing.T) {
	s := decodeJSON(t, sentinelBase)
	want := []signals.Subject{sub(email, "frank@example.com", target),
		sub(userID, "33333333-0000-0000-0000-000000000003", target),
		sub(username, "svc-backup", target), sub(ip, "198.51.100.7", source)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
	if s.Attributes["owner"] != "analyst@example.com" {
		t.Errorf("owner = %v", s.Attributes["owner"])
	}
	if s.DedupKey != "sentinel:inc-0001:2026-11-30T08:05:00.1234567Z" ||
		s.Summary != "Password spray followed by a sign-in" {
		t.Errorf("dedup key %q, summary %q", s.DedupKey, s.Summary)
	}
	for k, v := range map[string]any{"status": "active", "incident_number": "42",
		"analytic_rules": "rule-a", "tactics": "CredentialAccess"} {
		if s.Attributes[k] != v {
			t.Errorf("attribute %s = %v, want %v", k, s.Attributes[k], v)
		}
	}
}

// A mailbox entity names its owner (it was skipped: an incident about a
// mailbox's forwarding rule named no one).
func TestSentinelNamesAMailboxsOwner(t *testing.T) {
	s := decodeJSON(t, withProperties(t, map[string]any{
		"relatedEntities": []any{map[string]any{"kind": "Mailbox",
			"properties": map[string]any{"upn": "ivy@example.com",
				"mailboxPrimaryAddress":     "ivy.sales@example.com",
				"externalDirectoryObjectId": "77777777-0000-4000-8000-000000000007",
				"displayName":               "Ivy"}}}}))
	want := []signals.Subject{sub(email, "ivy@example.com", target),
		sub(email, "ivy.sales@example.com", target),
		sub(userID, "77777777-0000-4000-8000-000000000007", target)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
}

func TestSentinelIncidentFromAnAutomationRuleIsTheSameIncident(t *testing.T) {
	alone := decodeJSON(t, sentinelBase)
	body := `{"eventUniqueId": "e1", "objectSchemaType": "Incident",
		"objectEventType": "Update", "workspaceId": "w1", "object": ` +
		sentinelBase + `}`
	s := decodeJSON(t, body)
	if s.DedupKey != alone.DedupKey || !slices.Equal(s.Subjects, alone.Subjects) ||
		s.Attributes["event"] != "Update" {
		t.Errorf("from automation: %q %v %v", s.DedupKey, s.Subjects, s.Attributes)
	}
	broken := strings.Replace(body, `"name": "inc-0001",`, "", 1)
	_, err := signals.Decode([]byte(broken))
	checkErr(t, err, nil, "signal sentinel: object.name: missing")
}

func TestSentinelBadFieldsAreNamedWithTheirPath(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"A bad modification time", withProperties(t, map[string]any{
			"lastModifiedTimeUtc": "soon"}),
			`signal sentinel: properties.lastModifiedTimeUtc: ` +
				`not an RFC 3339 time ("soon")`},
		{"No time at all", withProperties(t, map[string]any{
			"lastModifiedTimeUtc": nil, "createdTimeUtc": nil}),
			"signal sentinel: properties.lastModifiedTimeUtc or " +
				"properties.createdTimeUtc: missing"},
		{"A blank name", withFields(t, sentinelBase, map[string]any{"name": " "}),
			"signal sentinel: name: not a non-empty string"},
		{"Related entities as one object (they named no one)",
			withProperties(t, map[string]any{"relatedEntities": map[string]any{
				"kind": "Account", "properties": map[string]any{"accountName": "frank"}}}),
			"signal sentinel: properties.relatedEntities: not an array"},
		{"A related entity that is not an object",
			withProperties(t, map[string]any{"relatedEntities": []any{"frank"}}),
			"signal sentinel: properties.relatedEntities[0]: not an object"},
		{"The same in an automation rule's body", `{"objectSchemaType": "Incident",
			"object": ` + withProperties(t, map[string]any{"relatedEntities": "x"}) + `}`,
			"signal sentinel: object.properties.relatedEntities: not an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(tt.payload))
			checkErr(t, err, nil, tt.want)
		})
	}
}

func TestSentinelLookalikesAreNotTakenForIncidents(t *testing.T) {
	tests := []struct {
		name, payload, nearest string
	}{
		{"Another Sentinel resource", withFields(t, sentinelBase, map[string]any{
			"type": "Microsoft.SecurityInsights/alertRules"}),
			"signal sentinel: type: not Microsoft.SecurityInsights/incidents"},
		{"Severity as a number", withProperties(t, map[string]any{"severity": 3}),
			"signal sentinel: properties.severity: not a string"},
		{"An automation body about an alert", `{"objectSchemaType": "Alert",
			"object": ` + sentinelBase + `}`, ""},
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

func TestSentinelClosedFalsePositiveInTheCorpusIsVisiblyClosed(t *testing.T) {
	corpusFiles(t)
	s := decodeFile(t, filepath.Join(corpusDir,
		"sentinel/incident-get-by-id-closed-falsepositive.json"))
	want := map[string]any{"status": "closed", "classification": "FalsePositive",
		"incident_number": "3177", "provider_incident_id": "3177",
		"owner": "john@example.com"}
	for k, v := range want {
		if s.Attributes[k] != v {
			t.Errorf("attribute %s = %v, want %v", k, s.Attributes[k], v)
		}
	}
	if s.Category != signals.CategoryOther || len(s.Subjects) != 0 {
		t.Errorf("category %s, subjects %v", s.Category, s.Subjects)
	}
}
