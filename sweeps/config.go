package sweeps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/duration"
	"github.com/killswitch-dev/killswitch/internal/configdoc"
)

// Config is the sweeps section of the config file of `killswitch run`:
//
//	sweeps:
//	  lock_warning: 24h              # lock-hygiene warns this long before
//	  revocation_log_keep: 30d       # revocation-log-retention keeps this long
//	  jobs:
//	    - sweep: exposed-still-valid # which shipped sweep; unique
//	      schedule: "0 0 6 * * *"    # cron: [seconds] minute hour dom month dow
//	      time_zone: Europe/London   # IANA zone; default UTC
//	      jitter: 5m                 # random delay below this; default 0
//	      timeout: 10m               # bound on one run; default none
//
// Other sections of the file (connectors) are ignored here.
type Config struct {
	// Jobs are the scheduled sweeps; none schedules nothing.
	Jobs []JobConfig `json:"jobs"`
	// LockWarning is how long before a lock expires lock-hygiene warns of
	// it. Default 24h.
	LockWarning Duration `json:"lock_warning"`
	// RevocationLogKeep is how long revocation-log-retention keeps the
	// revocation log. Default 30 days.
	RevocationLogKeep Duration `json:"revocation_log_keep"`
}

// JobConfig schedules one sweep.
type JobConfig struct {
	// Sweep names the shipped sweep, and the job. Required, unique.
	Sweep string `json:"sweep"`
	// Schedule is a cron spec: minute hour day-of-month month
	// day-of-week, with an optional seconds field first, or a descriptor
	// (@daily, @every 6h). Required.
	Schedule string `json:"schedule"`
	// TimeZone is the IANA zone the spec is read in; default UTC. See
	// Schedule for daylight saving.
	TimeZone string `json:"time_zone"`
	// Jitter delays each firing by a random time below it; default 0.
	// It must be below the shortest time between firings of Schedule.
	Jitter Duration `json:"jitter"`
	// Timeout bounds one run; the run holds the sweep's lease for the
	// timeout and a minute. Default none: the lease is then DefaultLease
	// (1h) and the run is cut off a minute before it lapses.
	Timeout Duration `json:"timeout"`
}

// Duration is a time.Duration written as Go writes it ("90s", "24h"),
// or as a whole number of days ("7d").
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("not a duration string such as \"5m\"")
	}
	v, err := duration.Parse(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("%q: must not be negative", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// LoadConfig reads the sweeps section of a YAML or JSON config file.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig reads the sweeps section of a config document and
// validates it. Inside the section an unknown key is an error: a
// misspelt time_zone would run a job in UTC, a misspelt jobs would
// schedule nothing, and neither may pass unnoticed.
func ParseConfig(data []byte) (Config, error) {
	js, err := configdoc.ToJSON(data)
	if err != nil {
		return Config{}, fmt.Errorf("not YAML: %w", err)
	}
	var doc struct {
		Sweeps json.RawMessage `json:"sweeps"`
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return Config{}, nil
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		return Config{}, fmt.Errorf("sweeps: %w", err)
	}
	if len(doc.Sweeps) == 0 || string(doc.Sweeps) == "null" {
		return Config{}, nil
	}
	var section struct {
		Jobs        []json.RawMessage `json:"jobs"`
		LockWarning json.RawMessage   `json:"lock_warning"`
		LogKeep     json.RawMessage   `json:"revocation_log_keep"`
	}
	if err := strict(doc.Sweeps, &section); err != nil {
		return Config{}, fmt.Errorf("sweeps: %w", err)
	}
	var cfg Config
	err = readDuration(section.LockWarning, "sweeps.lock_warning", &cfg.LockWarning)
	if err != nil {
		return Config{}, err
	}
	err = readDuration(section.LogKeep, "sweeps.revocation_log_keep",
		&cfg.RevocationLogKeep)
	if err != nil {
		return Config{}, err
	}
	for i, raw := range section.Jobs {
		j, err := parseJob(raw, fmt.Sprintf("sweeps.jobs[%d]", i))
		if err != nil {
			return Config{}, err
		}
		cfg.Jobs = append(cfg.Jobs, j)
	}
	return cfg, cfg.Validate()
}

// parseJob reads one job strictly; errors start with at.
func parseJob(raw json.RawMessage, at string) (JobConfig, error) {
	var j struct {
		Sweep    string          `json:"sweep"`
		Schedule string          `json:"schedule"`
		TimeZone string          `json:"time_zone"`
		Jitter   json.RawMessage `json:"jitter"`
		Timeout  json.RawMessage `json:"timeout"`
	}
	if err := strict(raw, &j); err != nil {
		return JobConfig{}, fmt.Errorf("%s: %w", at, err)
	}
	jc := JobConfig{Sweep: j.Sweep, Schedule: j.Schedule, TimeZone: j.TimeZone}
	if err := readDuration(j.Jitter, at+".jitter", &jc.Jitter); err != nil {
		return JobConfig{}, err
	}
	return jc, readDuration(j.Timeout, at+".timeout", &jc.Timeout)
}

// readDuration reads raw, when present, into d; its error starts with at.
func readDuration(raw json.RawMessage, at string, d *Duration) error {
	if len(raw) == 0 {
		return nil
	}
	if err := d.UnmarshalJSON(raw); err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}
	return nil
}

// strict decodes raw into v, refusing keys v does not have.
func strict(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// Validate checks every job; errors name it: sweeps.jobs[1].schedule.
func (c Config) Validate() error {
	if k := time.Duration(c.RevocationLogKeep); k != 0 && k < MinRevocationLogKeep {
		return fmt.Errorf("sweeps.revocation_log_keep: %s: below %s: a "+
			"stream client that reconnects after a short outage would "+
			"miss revocations", k, MinRevocationLogKeep)
	}
	seen := map[string]int{}
	for i, j := range c.Jobs {
		at := fmt.Sprintf("sweeps.jobs[%d]", i)
		if _, ok := Lookup(j.Sweep); !ok {
			return fmt.Errorf("%s.sweep: %q is not a sweep (the sweeps: %v)",
				at, j.Sweep, Names())
		}
		if k, dup := seen[j.Sweep]; dup {
			return fmt.Errorf("%s.sweep: %q is scheduled by sweeps.jobs[%d] "+
				"already", at, j.Sweep, k)
		}
		seen[j.Sweep] = i
		if j.Schedule == "" {
			return fmt.Errorf("%s.schedule: required", at)
		}
		sched, err := ParseSchedule(j.Schedule, j.TimeZone)
		if err != nil {
			return fmt.Errorf("%s.%w", at, err)
		}
		gap := sched.ShortestGap()
		if jitter := time.Duration(j.Jitter); gap > 0 && jitter >= gap {
			return fmt.Errorf("%s.jitter: %s is not below %s, the shortest "+
				"time between firings of %q: each firing would start "+
				"further behind its time", at, jitter, gap, j.Schedule)
		}
	}
	return nil
}

// Job finds the job of a sweep.
func (c Config) Job(sweep string) (JobConfig, bool) {
	i := slices.IndexFunc(c.Jobs, func(j JobConfig) bool { return j.Sweep == sweep })
	if i < 0 {
		return JobConfig{}, false
	}
	return c.Jobs[i], true
}

// Job is the scheduled job that runs jc's sweep with r. A firing that
// another instance runs, or ran, returns ErrBusy or ErrAlreadyRan, which
// the scheduler counts as run elsewhere, not failed.
func (r *Runner) Job(jc JobConfig) (Job, error) {
	sched, err := ParseSchedule(jc.Schedule, jc.TimeZone)
	if err != nil {
		return Job{}, fmt.Errorf("sweep %s: %w", jc.Sweep, err)
	}
	lease := DefaultLease
	if jc.Timeout > 0 {
		lease = time.Duration(jc.Timeout) + time.Minute
	}
	run := func(ctx context.Context, at time.Time) error {
		_, err := r.Run(ctx, jc.Sweep, at, lease)
		return err
	}
	return Job{Name: jc.Sweep, Schedule: sched, Jitter: time.Duration(jc.Jitter),
		Timeout: time.Duration(jc.Timeout), Run: run}, nil
}
