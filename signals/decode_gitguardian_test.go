package signals_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

const gitGuardianBase = `{
  "source": "GitGuardian",
  "timestamp": "2026-11-30T08:00:00Z",
  "action": "incident_triggered",
  "target_user": "Dana Dev dana@example.com",
  "incident": {"id": 5, "severity": "medium", "status": "triggered",
    "secret_hash": "abc123", "detector": {"name": "slack_bot_token"}}
}`

func TestGitGuardianCategoryAndSeverity(t *testing.T) {
	incident := func(severity, status string) map[string]any {
		return map[string]any{"id": 5, "severity": severity, "status": status,
			"secret_hash": "abc123"}
	}
	tests := []struct {
		name     string
		fields   map[string]any
		category signals.Category
		severity signals.Severity
	}{
		{"A new incident keeps its severity", nil,
			signals.CategorySecretExposure, signals.SeverityMedium},
		{"An unknown severity is high", map[string]any{
			"incident": incident("unknown", "triggered")},
			signals.CategorySecretExposure, signals.SeverityHigh},
		{"A missing severity is high", map[string]any{
			"incident": incident("", "triggered")},
			signals.CategorySecretExposure, signals.SeverityHigh},
		{"A critical incident is critical", map[string]any{
			"incident": incident("critical", "triggered")},
			signals.CategorySecretExposure, signals.SeverityCritical},
		{"A regression is an exposure", map[string]any{
			"action": "incident_regression"},
			signals.CategorySecretExposure, signals.SeverityMedium},
		{"A resolution is other", map[string]any{
			"action": "incident_resolved"},
			signals.CategoryOther, signals.SeverityMedium},
		{"An ignored incident is other", map[string]any{
			"action": "incident_ignored"},
			signals.CategoryOther, signals.SeverityMedium},
		{"A comment on a resolved incident is other", map[string]any{
			"action":   "incident_comment_created",
			"incident": incident("low", "RESOLVED")},
			signals.CategoryOther, signals.SeverityLow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, withFields(t, gitGuardianBase, tt.fields))
			if s.Category != tt.category || s.Severity != tt.severity {
				t.Errorf("category, severity = %s, %s; want %s, %s",
					s.Category, s.Severity, tt.category, tt.severity)
			}
		})
	}
}

func TestGitGuardianTargetUserWithoutEmailNamesNoOne(t *testing.T) {
	s := decodeJSON(t, withFields(t, gitGuardianBase, map[string]any{
		"target_user": "GitGuardian", "timestamp": nil,
		"incident": map[string]any{"id": 5, "secret_hash": "abc123",
			"date": "2026-11-29T07:00:00.5+01:00"}}))
	if got := s.Time.Format(time.RFC3339Nano); got != "2026-11-29T06:00:00.5Z" {
		t.Errorf("time %s, want incident.date in UTC", got)
	}
	want := []signals.Subject{sub(hash, "abc123", credential)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects = %v, want %v", s.Subjects, want)
	}
	if s.DedupKey != "gitguardian:5:incident_triggered" {
		t.Errorf("dedup key %q", s.DedupKey)
	}
}

func TestGitGuardianNeedsATime(t *testing.T) {
	_, err := signals.Decode([]byte(withFields(t, gitGuardianBase,
		map[string]any{"timestamp": nil})))
	want := "signal gitguardian: timestamp or incident.date: missing"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestOtherSourcesNamedGitGuardianNeedAnIncident(t *testing.T) {
	_, err := signals.Decode([]byte(`{"source": "GitGuardian",
		"action": "test"}`))
	if !errors.Is(err, signals.ErrUnknownFormat) {
		t.Errorf("error = %v, want ErrUnknownFormat", err)
	}
}
