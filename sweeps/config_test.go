package sweeps

import (
	"strings"
	"testing"
)

func TestASweepsConfigThatCannotBeMeantIsRefusedNamingTheField(t *testing.T) {
	cases := []struct{ name, job, field string }{
		{"an interval below a second", `schedule: "@every 1ms"`,
			"sweeps.jobs[0].schedule"},
		{"a negative interval", `schedule: "@every -1h"`,
			"sweeps.jobs[0].schedule"},
		{"a date that never comes", `schedule: "0 0 30 2 *"`,
			"sweeps.jobs[0].schedule"},
		{"a misspelt time zone key", "schedule: \"0 6 * * *\"\n" +
			"      timezone: Europe/London", "timezone"},
		{"a zone that does not exist", "schedule: \"0 6 * * *\"\n" +
			"      time_zone: Europe/Atlantis", "time_zone"},
		{"a negative jitter", "schedule: \"0 6 * * *\"\n      jitter: -5m",
			"jitter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := "sweeps:\n  jobs:\n    - sweep: exposed-still-valid\n      " +
				c.job + "\n"
			_, err := ParseConfig([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("ParseConfig(%q) = %v, want an error naming %s",
					doc, err, c.field)
			}
		})
	}
}
