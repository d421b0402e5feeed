package inventory

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	cases := []struct {
		name, in string
		want     time.Time
	}{
		{"Days ago", "-30d", now.Add(-30 * day)},
		{"Days ahead", "+90d", now.Add(90 * day)},
		{"Weeks ahead", "+2w", now.Add(14 * day)},
		{"Hours ago", "-12h", now.Add(-12 * time.Hour)},
		{"Minutes ago", "-5m", now.Add(-5 * time.Minute)},
		{"Seconds ago", "-10s", now.Add(-10 * time.Second)},
		{"An RFC 3339 time in UTC", "2026-01-02T03:04:05Z",
			time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"An RFC 3339 time with an offset and fraction",
			"2026-01-02T03:04:05.25+02:00",
			time.Date(2026, 1, 2, 1, 4, 5, 250e6, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseTime(c.in, now)
			if err != nil || !got.Equal(c.want) {
				t.Fatalf("parseTime(%q) = %s, %v; want %s", c.in, got, err,
					c.want)
			}
		})
	}
}

func TestParseTimeRefuses(t *testing.T) {
	for _, in := range []string{"yesterday", "30d", "-1y", "-1.5d", "- 3d",
		"-3D", "2026-01-02", "+9999999999d", "-1h30m"} {
		t.Run(in, func(t *testing.T) {
			if got, err := parseTime(in, time.Now()); err == nil {
				t.Fatalf("parseTime(%q) = %s, want an error", in, got)
			}
		})
	}
}
