package signals_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

const ocsfBase = `{
  "class_uid": 3002,
  "type_name": "Authentication: Logon",
  "severity_id": 1,
  "status": "Failure",
  "time": 1796034381,
  "metadata": {"version": "1.3.0", "uid": "m-1",
    "product": {"name": "Example IdP"}},
  "user": {"email_addr": "lee@example.com", "uid": "u-lee", "name": "lee"},
  "src_endpoint": {"ip": "192.0.2.9"}
}`

func TestOCSFSeverityIDMapsToFiveLevels(t *testing.T) {
	tests := []struct {
		id    int
		label string
		want  signals.Severity
	}{
		{0, "Unknown", signals.SeverityInfo},
		{1, "Informational", signals.SeverityInfo},
		{2, "Low", signals.SeverityLow},
		{3, "Medium", signals.SeverityMedium},
		{4, "High", signals.SeverityHigh},
		{5, "Critical", signals.SeverityCritical},
		{6, "Fatal", signals.SeverityCritical},
		{99, "High", signals.SeverityHigh},
		{99, "Vendor-specific", signals.SeverityInfo},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			s := decodeJSON(t, withFields(t, ocsfBase, map[string]any{
				"severity_id": tt.id, "severity": tt.label}))
			if s.Severity != tt.want {
				t.Errorf("severity_id %d %q = %s, want %s",
					tt.id, tt.label, s.Severity, tt.want)
			}
		})
	}
}

func TestOCSFTimePrefersTimeDTAndReadsEpochUnits(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		want   string
	}{
		{"Epoch seconds", nil, "2026-11-30T10:26:21Z"},
		{"Epoch milliseconds", map[string]any{
			"time": json.Number("1796034381250")}, "2026-11-30T10:26:21.25Z"},
		{"time_dt with an offset wins", map[string]any{
			"time_dt": "2026-11-30T06:26:22-04:00"}, "2026-11-30T10:26:22Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, withFields(t, ocsfBase, tt.fields))
			if got := s.Time.UTC().Format("2006-01-02T15:04:05.999Z07:00"); got != tt.want {
				t.Errorf("time %s, want %s", got, tt.want)
			}
		})
	}
	_, err := signals.Decode([]byte(withFields(t, ocsfBase,
		map[string]any{"time": nil})))
	if err == nil || err.Error() != "signal ocsf: time_dt or time: missing" {
		t.Errorf("no time: %v", err)
	}
}

func TestOCSFDedupKeyFallsBackToFindingThenDigest(t *testing.T) {
	finding := withFields(t, ocsfBase, map[string]any{"class_uid": 2004,
		"metadata":     map[string]any{"version": "1.3.0"},
		"finding_info": map[string]any{"uid": "f-1"}})
	if s := decodeJSON(t, finding); s.DedupKey != "ocsf:f-1:2026-11-30T10:26:21Z" {
		t.Errorf("finding key %q", s.DedupKey)
	}
	a := decodeJSON(t, `{"class_uid": 3002, "time": 1796034381,
	  "metadata": {"version": "1.3.0"}, "user": {"uid": "u-lee"}}`)
	b := decodeJSON(t, `{"user": {"uid": "u-lee"},
	  "metadata": {"version": "1.3.0"}, "time": 1796034381, "class_uid": 3002}`)
	c := decodeJSON(t, `{"class_uid": 3002, "time": 1796034381,
	  "metadata": {"version": "1.3.0"}, "user": {"uid": "u-kim"}}`)
	if !strings.HasPrefix(a.DedupKey, "ocsf:sha256:") ||
		len(a.DedupKey) != len("ocsf:sha256:")+64 || a.DedupKey != b.DedupKey {
		t.Errorf("digest keys %q and %q", a.DedupKey, b.DedupKey)
	}
	if c.DedupKey == a.DedupKey {
		t.Error("two different events share a digest key")
	}
}

func TestOCSFFindingNamesPrincipalsFromEvidenceAndResources(t *testing.T) {
	s := decodeJSON(t, `{"class_uid": 2004, "severity_id": 3,
	  "time_dt": "2026-11-30T10:00:00Z",
	  "metadata": {"version": "1.1.0", "uid": "f-2"},
	  "evidences": [{"user": {"uid": "AIDAVICTIM"},
	    "src_endpoint": {"ip": "198.51.100.4"}}],
	  "resources": [
	    {"uid": "arn:aws:iam::111122223333:user/mo"},
	    {"uid": "arn:aws:s3:::acme-bucket"},
	    {"uid": "AWS::IAM::AccessKey:AKIAMO", "data": {"AwsIamAccessKey":
	      {"PrincipalName": "mo", "PrincipalId": "AIDAMO"}}},
	    {"uid": "r-3", "data": "not json"}]}`)
	want := []signals.Subject{
		sub(userID, "AIDAVICTIM", target),
		sub(arn, "arn:aws:iam::111122223333:user/mo", target),
		sub(keyID, "AKIAMO", credential),
		sub(username, "mo", target), sub(userID, "AIDAMO", target),
		sub(ip, "198.51.100.4", source),
	}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects:\n got %v\nwant %v", s.Subjects, want)
	}
}

func TestOCSFAuthenticationUserIsTheActor(t *testing.T) {
	s := decodeJSON(t, ocsfBase)
	want := []signals.Subject{sub(email, "lee@example.com", actor),
		sub(userID, "u-lee", actor), sub(username, "lee", actor),
		sub(ip, "192.0.2.9", source)}
	if !slices.Equal(s.Subjects, want) || s.Attributes["outcome"] != "failure" {
		t.Errorf("subjects %v, outcome %v", s.Subjects, s.Attributes["outcome"])
	}
}
