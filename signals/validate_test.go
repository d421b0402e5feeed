package signals_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

func validSignal() signals.Signal {
	return signals.Signal{
		Format:   signals.FormatOkta,
		Category: signals.CategoryAuthentication,
		Severity: signals.SeverityInfo,
		Time:     time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC),
		DedupKey: "okta:1",
		Subjects: []signals.Subject{sub(email, "a@example.com", actor)},
		Attributes: map[string]any{"outcome": "success", "n": json.Number("1"),
			"ok": true},
	}
}

func TestValidateAcceptsACompleteSignal(t *testing.T) {
	if err := validSignal().Validate(); err != nil {
		t.Fatal(err)
	}
	s := validSignal()
	s.Subjects = nil
	if err := s.Validate(); err != nil {
		t.Errorf("a signal without subjects: %v", err)
	}
}

func TestValidateNamesWhatIsMissingOrMalformed(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		name   string
		change func(*signals.Signal)
		want   string
	}{
		{"No format", func(s *signals.Signal) { s.Format = "" },
			"invalid signal: format: missing"},
		{"Unknown category", func(s *signals.Signal) { s.Category = "weird" },
			`invalid signal: category: unknown "weird"`},
		{"No severity", func(s *signals.Signal) { s.Severity = "" },
			`invalid signal: severity: unknown ""`},
		{"No time", func(s *signals.Signal) { s.Time = time.Time{} },
			"invalid signal: time: missing"},
		{"Time not in UTC", func(s *signals.Signal) { s.Time = s.Time.In(paris) },
			"invalid signal: time: not in UTC"},
		{"No dedup key", func(s *signals.Signal) { s.DedupKey = "" },
			"invalid signal: dedup_key: missing"},
		{"Dedup key of another format", func(s *signals.Signal) {
			s.DedupKey = "cloudtrail:1"
		}, "invalid signal: dedup_key: not prefixed by the format"},
		{"Unknown subject type", func(s *signals.Signal) {
			s.Subjects[0].Type = "phone"
		}, `invalid signal: subjects[0]: unknown type "phone"`},
		{"Subject without role", func(s *signals.Signal) {
			s.Subjects[0].Role = ""
		}, `invalid signal: subjects[0]: unknown role ""`},
		{"Blank subject value", func(s *signals.Signal) {
			s.Subjects[0].Value = " "
		}, "invalid signal: subjects[0]: blank value"},
		{"Same identifier twice", func(s *signals.Signal) {
			s.Subjects = append(s.Subjects, sub(email, "a@example.com", target))
		}, "invalid signal: subjects[1]: duplicate email"},
		{"Attribute of another type", func(s *signals.Signal) {
			s.Attributes["count"] = 3
		}, "invalid signal: attributes.count: unsupported type int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSignal()
			tt.change(&s)
			err := s.Validate()
			if err == nil || err.Error() != tt.want {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}
