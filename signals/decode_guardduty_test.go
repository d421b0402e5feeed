package signals_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

const guardDutyBase = `{
  "schemaVersion": "2.0",
  "id": "g1",
  "type": "Recon:IAMUser/MaliciousIPCaller",
  "severity": 5,
  "updatedAt": "2026-11-30T08:00:00.000Z",
  "service": {"serviceName": "guardduty", "detectorId": "d1"},
  "resource": {"resourceType": "AccessKey",
    "accessKeyDetails": {"userName": "carol", "accessKeyId": "AKIACAROL"}}
}`

func TestGuardDutySeverityFollowsItsBands(t *testing.T) {
	tests := []struct {
		score string
		want  signals.Severity
	}{
		{"1", signals.SeverityLow},
		{"3.9", signals.SeverityLow},
		{"4", signals.SeverityMedium},
		{"6.9", signals.SeverityMedium},
		{"7.0", signals.SeverityHigh},
		{"8.9", signals.SeverityHigh},
		{"9", signals.SeverityCritical},
		{"10.0", signals.SeverityCritical},
	}
	for _, tt := range tests {
		t.Run("Score "+tt.score, func(t *testing.T) {
			s := decodeJSON(t, withFields(t, guardDutyBase,
				map[string]any{"severity": json.Number(tt.score)}))
			if s.Severity != tt.want || s.Category != signals.CategoryThreat {
				t.Errorf("severity %s, category %s; want %s threat",
					s.Severity, s.Category, tt.want)
			}
			if s.Attributes["severity_score"] != json.Number(tt.score) {
				t.Errorf("severity_score = %v", s.Attributes["severity_score"])
			}
		})
	}
}

func TestGuardDutyFindingThroughEventBridgeKeepsItsDedupKey(t *testing.T) {
	direct := decodeJSON(t, guardDutyBase)
	wrapped := decodeJSON(t, `{"version": "0", "id": "eb-2",
		"detail-type": "GuardDuty Finding", "source": "aws.guardduty",
		"detail": `+guardDutyBase+`}`)
	if direct.DedupKey != "guardduty:g1:2026-11-30T08:00:00.000Z" ||
		wrapped.DedupKey != direct.DedupKey {
		t.Errorf("dedup keys %q and %q", direct.DedupKey, wrapped.DedupKey)
	}
}

func TestGuardDutyLookalikesAreNotTakenForFindings(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
	}{
		{"Another service", map[string]any{
			"service": map[string]any{"serviceName": "inspector"}}},
		{"Severity as a label", map[string]any{"severity": "HIGH"}},
		{"No schema version", map[string]any{"schemaVersion": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(withFields(t, guardDutyBase,
				tt.fields)))
			if !errors.Is(err, signals.ErrUnknownFormat) {
				t.Errorf("error = %v, want ErrUnknownFormat", err)
			}
		})
	}
}

func TestGuardDutyWithoutUpdatedAtIsAFieldError(t *testing.T) {
	_, err := signals.Decode([]byte(withFields(t, guardDutyBase,
		map[string]any{"updatedAt": nil})))
	if err == nil || err.Error() != "signal guardduty: updatedAt: missing" {
		t.Errorf("error = %v", err)
	}
}
