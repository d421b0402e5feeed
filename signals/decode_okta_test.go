package signals_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

const oktaBase = `{
  "uuid": "11111111-2222-3333-4444-555555555555",
  "published": "2026-11-30T08:00:00.000Z",
  "eventType": "user.session.start",
  "severity": "INFO",
  "version": 0,
  "actor": {"id": "00uBASE", "type": "User", "alternateId": "base@example.com"},
  "client": {"ipAddress": "192.0.2.1", "zone": "null"},
  "target": null
}`

func TestOktaSeverityAndCategoryFollowTheEvent(t *testing.T) {
	suspected := map[string]any{"debugData": map[string]any{
		"threatSuspected": "true"}}
	tests := []struct {
		name     string
		fields   map[string]any
		category signals.Category
		severity signals.Severity
	}{
		{"A debug sign-in is info", map[string]any{"severity": "DEBUG"},
			signals.CategoryAuthentication, signals.SeverityInfo},
		{"A warning is medium", map[string]any{"severity": "WARN",
			"eventType": "user.authentication.auth_via_mfa"},
			signals.CategoryAuthentication, signals.SeverityMedium},
		{"An error is high", map[string]any{"severity": "ERROR",
			"eventType": "user.lifecycle.suspend"},
			signals.CategoryAccountChange, signals.SeverityHigh},
		{"A missing level is info", map[string]any{"severity": nil,
			"eventType": "user.account.lock"},
			signals.CategoryAccountChange, signals.SeverityInfo},
		{"Another event is other", map[string]any{
			"eventType": "policy.evaluate_sign_on"},
			signals.CategoryOther, signals.SeverityInfo},
		{"A detected threat is at least high", map[string]any{
			"eventType": "security.threat.detected", "severity": "WARN"},
			signals.CategoryThreat, signals.SeverityHigh},
		{"A user's report is a threat", map[string]any{"eventType": "user." +
			"account.report_suspicious_activity_by_enduser"},
			signals.CategoryThreat, signals.SeverityHigh},
		{"An attack start is a threat", map[string]any{
			"eventType": "security.attack.start", "severity": "ERROR"},
			signals.CategoryThreat, signals.SeverityHigh},
		{"A suspected threat on a sign-in is a threat", map[string]any{
			"debugContext": suspected},
			signals.CategoryThreat, signals.SeverityHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, withFields(t, oktaBase, tt.fields))
			if s.Category != tt.category || s.Severity != tt.severity {
				t.Errorf("category, severity = %s, %s; want %s, %s",
					s.Category, s.Severity, tt.category, tt.severity)
			}
		})
	}
}

func TestOktaNamesActorTargetsSessionsAndOrigin(t *testing.T) {
	s := decodeJSON(t, withFields(t, oktaBase, map[string]any{
		"version": "0",
		"actor": map[string]any{"id": "00uADMIN", "type": "User",
			"alternateId": "admin"},
		"authenticationContext": map[string]any{
			"externalSessionId": "102abc", "rootSessionId": "idxROOT"},
		"device": map[string]any{"id": "guoDEVICE"},
		"target": []any{
			map[string]any{"id": "00uBOB", "type": "User",
				"alternateId": "bob@example.com"},
			map[string]any{"id": "0oaAPP", "type": "AppInstance",
				"alternateId": "Salesforce"},
		},
	}))
	want := []signals.Subject{
		sub(userID, "00uADMIN", actor), sub(username, "admin", actor),
		sub(session, "102abc", actor), sub(session, "idxROOT", actor),
		sub(userID, "00uBOB", target), sub(email, "bob@example.com", target),
		sub(ip, "192.0.2.1", source), sub(device, "guoDEVICE", source),
	}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
}

func TestOktaClientActorsAndPlaceholdersAreReadForWhatTheyAre(t *testing.T) {
	s := decodeJSON(t, withFields(t, oktaBase, map[string]any{
		"actor": map[string]any{"id": "0oaCLIENT", "type": "PublicClientApp",
			"alternateId": "CI pipeline"},
		"authenticationContext": map[string]any{"externalSessionId": "unknown"},
	}))
	want := []signals.Subject{sub(signals.SubjectClientID, "0oaCLIENT", actor),
		sub(ip, "192.0.2.1", source)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
}

func TestOktaWithoutAnRFC3339PublishedTimeIsAFieldError(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"Null", `null`, "signal okta: published: missing"},
		{"A number", `1796034381`, `signal okta: published: ` +
			`not an RFC 3339 time ("1796034381")`},
		{"No offset", `"2026-11-30T08:00:00"`, `signal okta: published: ` +
			`not an RFC 3339 time ("2026-11-30T08:00:00")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := strings.Replace(oktaBase,
				`"2026-11-30T08:00:00.000Z"`, tt.raw, 1)
			_, err := signals.Decode([]byte(payload))
			var fe *signals.FieldError
			if !errors.As(err, &fe) || err.Error() != tt.want {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}
