package sweeps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"sigs.k8s.io/yaml"
)

// Config is the sweeps section of the config file of `killswitch run`:
//
//	sweeps:
//	  lock_warning: 24h              # lock-hygiene warns this long before
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
	Jitter Duration `json:"jitter"`
	// Timeout bounds one run; default none (the lease is then held for
	// DefaultLease at most).
	Timeout Duration `json:"timeout"`
}

// Duration is a time.Duration written as Go writes it ("90s", "24h").
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("not a duration string such as \"5m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"5m\"", s)
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
// validates it.
func ParseConfig(data []byte) (Config, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return Config{}, fmt.Errorf("not YAML: %w", err)
	}
	var doc struct {
		Sweeps *Config `json:"sweeps"`
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return Config{}, nil
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		return Config{}, fmt.Errorf("sweeps: %w", err)
	}
	if doc.Sweeps == nil {
		return Config{}, nil
	}
	return *doc.Sweeps, doc.Sweeps.Validate()
}

// Validate checks every job; errors name it: sweeps.jobs[1].schedule.
func (c Config) Validate() error {
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
		if _, err := ParseSchedule(j.Schedule, j.TimeZone); err != nil {
			return fmt.Errorf("%s: %w", at, err)
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
