package sweeps

import (
	"strings"
	"testing"
	"time"
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
		{"a number of days past what a duration holds",
			"schedule: \"0 6 * * *\"\n      timeout: 213504d",
			"sweeps.jobs[0].timeout"},
		{"a jitter as long as the interval", "schedule: \"@every 5m\"\n" +
			"      jitter: 5m", "sweeps.jobs[0].jitter"},
		{"a jitter longer than the gap between weekday runs",
			"schedule: \"0 6 * * 1-5\"\n      jitter: 36h",
			"sweeps.jobs[0].jitter"},
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

func TestAConfigReadsEveryFieldOfAJob(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
connectors: {github: {kind: github}}
sweeps:
  lock_warning: 2d
  revocation_log_keep: 90d
  jobs:
    - sweep: exposed-still-valid
      schedule: "0 0 6 * * *"
      time_zone: Europe/London
      jitter: 5m
      timeout: 10m
    - {sweep: idle-sessions, schedule: "*/15 * * * *"}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []JobConfig{{Sweep: "exposed-still-valid", Schedule: "0 0 6 * * *",
		TimeZone: "Europe/London", Jitter: Duration(5 * time.Minute),
		Timeout: Duration(10 * time.Minute)},
		{Sweep: "idle-sessions", Schedule: "*/15 * * * *"}}
	if len(cfg.Jobs) != 2 || cfg.Jobs[0] != want[0] || cfg.Jobs[1] != want[1] ||
		cfg.LockWarning != Duration(48*time.Hour) ||
		cfg.RevocationLogKeep != Duration(90*24*time.Hour) {
		t.Fatalf("config = %+v, want jobs %+v, a 48h lock warning and "+
			"the revocation log kept 90 days", cfg, want)
	}
}

func TestAConfigWithoutSweepsSchedulesNothing(t *testing.T) {
	for _, doc := range []string{"", "connectors: {}\n", "sweeps:\n"} {
		cfg, err := ParseConfig([]byte(doc))
		if err != nil || len(cfg.Jobs) != 0 {
			t.Errorf("%q: %+v, %v; want no jobs", doc, cfg, err)
		}
	}
}

func TestABadConfigIsRefusedNamingTheField(t *testing.T) {
	job := func(fields string) string {
		return "sweeps:\n  jobs:\n    - {sweep: idle-sessions, " +
			"schedule: '* * * * *'}\n    - {" + fields + "}\n"
	}
	cases := []struct{ name, doc, want string }{
		{"an unknown sweep", job("sweep: nope, schedule: '* * * * *'"),
			`sweeps.jobs[1].sweep: "nope" is not a sweep`},
		{"a sweep scheduled twice",
			job("sweep: idle-sessions, schedule: '@daily'"),
			"sweeps.jobs[1].sweep: \"idle-sessions\" is scheduled by sweeps.jobs[0]"},
		{"no schedule", job("sweep: lock-hygiene"),
			"sweeps.jobs[1].schedule: required"},
		{"a bad spec", job("sweep: lock-hygiene, schedule: '61 * * * *'"),
			`sweeps.jobs[1].schedule "61 * * * *"`},
		{"an unknown zone",
			job("sweep: lock-hygiene, schedule: '@daily', time_zone: Mars/Base"),
			`sweeps.jobs[1].time_zone "Mars/Base"`},
		{"a misspelt field",
			job("sweep: lock-hygiene, schedule: '@daily', tz: Europe/London"),
			"sweeps.jobs[1]: unknown field \"tz\""},
		{"a jitter that is no duration",
			job("sweep: lock-hygiene, schedule: '@daily', jitter: 5 minutes"),
			`sweeps.jobs[1].jitter: "5 minutes" is not a duration`},
		{"a negative timeout",
			job("sweep: lock-hygiene, schedule: '@daily', timeout: -5m"),
			`sweeps.jobs[1].timeout: "-5m": must not be negative`},
		{"a bad lock warning", "sweeps: {lock_warning: soon}\n",
			`sweeps.lock_warning: "soon" is not a duration`},
		{"a revocation log kept for minutes",
			"sweeps: {revocation_log_keep: 10m}\n",
			"sweeps.revocation_log_keep: 10m0s: below 1h0m0s"},
		{"a revocation log keep that is no duration",
			"sweeps: {revocation_log_keep: a month}\n",
			`sweeps.revocation_log_keep: "a month" is not a duration`},
		{"jobs that are no list", "sweeps: {jobs: {sweep: idle-sessions}}\n",
			"sweeps: cannot unmarshal object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}
