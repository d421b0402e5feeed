package sweeps

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // zones work on machines without a zone database

	"github.com/robfig/cron/v3"
)

// parser reads cron specs with an optional leading seconds field, and
// the descriptors (@daily, @every 1h).
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour |
	cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule is when a job runs: a cron spec read in a time zone.
//
// # Daylight saving
//
// A spec names wall-clock times of its zone, and each wall-clock time it
// names fires once:
//
//   - A time that the spring-forward gap skips (01:30 in Europe/London on
//     the last Sunday of March) fires at the first instant after the gap
//     (02:00 BST), once, however many named times fall in the gap.
//   - A time that the fall-back repeats (01:30 on the last Sunday of
//     October) fires at its first occurrence (01:30 BST) only.
//
// So no daily job is lost or doubled; a job every few minutes is quiet
// through the repeated hour. Interval jobs that must not pause belong in
// UTC, the default zone, or use @every, which counts real time.
type Schedule struct {
	spec  string
	loc   *time.Location
	wall  *cron.SpecSchedule
	every cron.Schedule
}

// ParseSchedule reads a cron spec (five fields, or six with seconds
// first, or a descriptor) in the IANA time zone zone ("" is UTC).
func ParseSchedule(spec, zone string) (Schedule, error) {
	if t := strings.TrimSpace(spec); strings.HasPrefix(t, "TZ=") ||
		strings.HasPrefix(t, "CRON_TZ=") {
		return Schedule{}, fmt.Errorf("schedule %q: name the zone in "+
			"time_zone, not in the spec", spec)
	}
	loc := time.UTC
	if zone != "" {
		l, err := time.LoadLocation(zone)
		if err != nil {
			return Schedule{}, fmt.Errorf("time_zone %q: %w", zone, err)
		}
		loc = l
	}
	if err := checkEvery(spec); err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", spec, err)
	}
	parsed, err := parser.Parse(spec)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", spec, err)
	}
	s := Schedule{spec: spec, loc: loc}
	if w, ok := parsed.(*cron.SpecSchedule); ok {
		naive := *w
		naive.Location = time.UTC
		s.wall = &naive
	} else {
		s.every = parsed
	}
	if s.Next(neverBefore).IsZero() {
		return Schedule{}, fmt.Errorf("schedule %q: names no time that "+
			"ever comes (a day the month does not have?)", spec)
	}
	return s, nil
}

// ShortestGap is the shortest time between two firings, over the
// firings of a year (or the first few hundred): a jitter must stay
// below it, or each firing starts later behind its time than the one
// before.
func (s Schedule) ShortestGap() time.Duration {
	prev := s.Next(neverBefore)
	end := prev.AddDate(1, 0, 0)
	gap := time.Duration(0)
	for range 400 {
		next := s.Next(prev)
		if next.IsZero() || next.After(end) {
			break
		}
		if d := next.Sub(prev); gap == 0 || d < gap {
			gap = d
		}
		prev = next
	}
	return gap
}

// neverBefore is where ParseSchedule looks for a spec's first firing: a
// spec that names a real date fires within the years cron searches.
var neverBefore = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// checkEvery refuses an @every interval below a second, which cron would
// quietly run every second (a negative one included).
func checkEvery(spec string) error {
	v, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every ")
	if !ok {
		return nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err == nil && d < time.Second {
		return fmt.Errorf("the interval must be at least 1s")
	}
	return nil
}

// String is the spec and its zone.
func (s Schedule) String() string {
	return s.spec + " (" + s.loc.String() + ")"
}

// Next is the first firing strictly after after, or the zero time when
// the spec names no future time.
func (s Schedule) Next(after time.Time) time.Time {
	if s.every != nil {
		return s.every.Next(after)
	}
	wall := naive(after.In(s.loc))
	// A wall time already passed in the fall-back repeat maps before
	// after; a handful of steps always clears the repeated hour.
	for range 10000 {
		n := s.wall.Next(wall)
		if n.IsZero() {
			return n
		}
		if at := s.instant(n); at.After(after) {
			return at
		}
		wall = n
	}
	return time.Time{}
}

// naive is t's wall clock read as if it were UTC.
func naive(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(),
		t.Second(), t.Nanosecond(), time.UTC)
}

// instant is the first instant the zone's clock shows wall or, when the
// clock skips wall, the instant the skip ends.
func (s Schedule) instant(wall time.Time) time.Time {
	t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(),
		wall.Minute(), wall.Second(), wall.Nanosecond(), s.loc)
	start, end := t.ZoneBounds()
	if shown := naive(t); !shown.Equal(wall) {
		if shown.After(wall) {
			return start
		}
		return end
	}
	if start.IsZero() {
		return t
	}
	_, before := start.Add(-time.Nanosecond).Zone()
	_, now := t.Zone()
	if before <= now {
		return t
	}
	earlier := t.Add(-time.Duration(before-now) * time.Second)
	if earlier.Before(start) && naive(earlier.In(s.loc)).Equal(wall) {
		return earlier
	}
	return t
}
