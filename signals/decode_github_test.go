package signals_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

const gitHubBase = `{
  "action": "created",
  "alert": {"number": 7, "secret_type": "slack_api_token",
    "created_at": "2026-11-30T08:00:00Z", "updated_at": "2026-11-30T08:05:00Z"},
  "repository": {"full_name": "acme/web", "updated_at": "2026-11-01T00:00:00Z"},
  "sender": {"login": "octocat"}
}`

func TestGitHubCategoryAndSeverityFollowActionAndValidity(t *testing.T) {
	alert := func(extra map[string]any) map[string]any {
		a := map[string]any{"number": 7, "secret_type": "slack_api_token",
			"updated_at": "2026-11-30T08:05:00Z"}
		for k, v := range extra {
			a[k] = v
		}
		return a
	}
	tests := []struct {
		name     string
		fields   map[string]any
		category signals.Category
		severity signals.Severity
	}{
		{"A new alert is a high exposure", nil,
			signals.CategorySecretExposure, signals.SeverityHigh},
		{"A reopened alert is an exposure", map[string]any{"action": "reopened"},
			signals.CategorySecretExposure, signals.SeverityHigh},
		{"A public leak is critical", map[string]any{"action": "publicly_leaked"},
			signals.CategorySecretExposure, signals.SeverityCritical},
		{"A secret validated as active is critical", map[string]any{
			"action": "validated", "alert": alert(map[string]any{
				"validity": "active"})},
			signals.CategorySecretExposure, signals.SeverityCritical},
		{"An alert flagged publicly leaked is critical", map[string]any{
			"alert": alert(map[string]any{"publicly_leaked": true})},
			signals.CategorySecretExposure, signals.SeverityCritical},
		{"A resolved alert is other", map[string]any{"action": "resolved"},
			signals.CategoryOther, signals.SeverityHigh},
		{"An assignment is other", map[string]any{"action": "assigned"},
			signals.CategoryOther, signals.SeverityHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, withFields(t, gitHubBase, tt.fields))
			if s.Category != tt.category || s.Severity != tt.severity {
				t.Errorf("category, severity = %s, %s; want %s, %s",
					s.Category, s.Severity, tt.category, tt.severity)
			}
		})
	}
}

func TestGitHubAlertWithoutSecretOrTimesStillDecodes(t *testing.T) {
	s := decodeJSON(t, withFields(t, gitHubBase, map[string]any{
		"action": "reopened",
		"alert":  map[string]any{"number": 191, "resolution": nil},
	}))
	want := []signals.Subject{sub(repo, "acme/web", location),
		sub(username, "octocat", actor)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects = %v, want %v", s.Subjects, want)
	}
	if s.Time.Format("2006-01-02") != "2026-11-01" ||
		s.Attributes["time_estimated"] != true {
		t.Errorf("time %s, time_estimated %v: want the repository's "+
			"updated_at, marked estimated", s.Time, s.Attributes["time_estimated"])
	}
	if s.DedupKey != "github_secret_scanning:acme/web#191:reopened" {
		t.Errorf("dedup key %q", s.DedupKey)
	}
}

func TestGitHubOtherAlertWebhooksAreNotSecretScanning(t *testing.T) {
	tests := []struct {
		name  string
		alert map[string]any
	}{
		{"Code scanning", map[string]any{"number": 3,
			"rule": map[string]any{"id": "js/xss"},
			"tool": map[string]any{"name": "CodeQL"}}},
		{"Dependabot", map[string]any{"number": 4,
			"security_advisory": map[string]any{"ghsa_id": "GHSA-x"},
			"dependency":        map[string]any{"scope": "runtime"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := withFields(t, gitHubBase, map[string]any{
				"alert": tt.alert})
			_, err := signals.Decode([]byte(payload))
			if !errors.Is(err, signals.ErrUnknownFormat) {
				t.Errorf("error = %v, want ErrUnknownFormat", err)
			}
		})
	}
}

func TestGitHubAlertWithoutActionIsAFieldError(t *testing.T) {
	_, err := signals.Decode([]byte(withFields(t, gitHubBase,
		map[string]any{"action": nil})))
	if err == nil ||
		err.Error() != "signal github_secret_scanning: action: missing" {
		t.Errorf("error = %v", err)
	}
}
