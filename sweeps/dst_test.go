package sweeps

import (
	"context"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors/connectortest"
)

// night drives a scheduler of the London jobs specs (name -> spec) on a
// fake clock from from to to in five-minute steps, and returns the
// scheduled times each job ran for.
func night(t *testing.T, specs map[string]string, from, to time.Time) map[string][]time.Time {
	t.Helper()
	london(t)
	clock := newFakeClock(from)
	log, _ := connectortest.Logger()
	logs := map[string]*firingLog{}
	var jobs []Job
	for name, spec := range specs {
		sched, err := ParseSchedule(spec, "Europe/London")
		if err != nil {
			t.Fatal(err)
		}
		l := &firingLog{}
		logs[name] = l
		jobs = append(jobs, Job{Name: name, Schedule: sched,
			Run: func(_ context.Context, at time.Time) error {
				l.add(at)
				return nil
			}})
	}
	s, err := NewScheduler(clock, log, nil, nil, jobs...)
	if err != nil {
		t.Fatal(err)
	}
	startScheduler(t, s)
	for at := from; !at.After(to); at = at.Add(5 * time.Minute) {
		clock.waitForWaiters(t, len(jobs))
		clock.Set(at)
	}
	clock.waitForWaiters(t, len(jobs))
	out := map[string][]time.Time{}
	for name, l := range logs {
		eventually(t, "the runs are recorded", func() bool {
			st, _ := s.Stats(name)
			return int(st.Started) == l.len()
		})
		out[name] = l.times
	}
	return out
}

func wantTimes(t *testing.T, job string, got []time.Time, want ...string) {
	t.Helper()
	seen := map[time.Time]bool{}
	for _, at := range got {
		if seen[at] {
			t.Errorf("%s fired twice for %v", job, at)
		}
		seen[at] = true
	}
	if len(got) != len(want) {
		t.Fatalf("%s fired for %v, want %v", job, got, want)
	}
	for i := range want {
		if !got[i].Equal(utc(want[i])) {
			t.Fatalf("%s fired for %v, want %v", job, got, want)
		}
	}
}

func TestTheSchedulerThroughTheFallBackNightFiresEachTimeOnce(t *testing.T) {
	// 2026-10-25 01:00Z: London goes from 02:00 BST back to 01:00 GMT.
	got := night(t, map[string]string{"daily": "30 1 * * *",
		"half-hourly": "*/30 * * * *"},
		utc("2026-10-24T22:50:00Z"), utc("2026-10-25T03:05:00Z"))
	wantTimes(t, "daily", got["daily"], "2026-10-25T00:30:00Z") // 01:30 BST
	wantTimes(t, "half-hourly", got["half-hourly"],
		"2026-10-24T23:00:00Z", "2026-10-24T23:30:00Z", // 00:00, 00:30 BST
		"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", // 01:00, 01:30 BST
		// 01:00 and 01:30 GMT repeat times already fired: quiet
		"2026-10-25T02:00:00Z", "2026-10-25T02:30:00Z", "2026-10-25T03:00:00Z")
}

func TestTheSchedulerThroughTheSpringForwardNightFiresSkippedTimesOnce(t *testing.T) {
	// 2026-03-29 01:00Z: London goes from 01:00 GMT to 02:00 BST.
	got := night(t, map[string]string{"daily": "30 1 * * *",
		"half-hourly": "*/30 * * * *"},
		utc("2026-03-28T23:50:00Z"), utc("2026-03-29T02:05:00Z"))
	wantTimes(t, "daily", got["daily"], "2026-03-29T01:00:00Z") // 02:00 BST
	wantTimes(t, "half-hourly", got["half-hourly"],
		"2026-03-29T00:00:00Z", "2026-03-29T00:30:00Z", // 00:00, 00:30 GMT
		"2026-03-29T01:00:00Z",                         // 01:00 and 01:30 skipped, and 02:00 BST: once
		"2026-03-29T01:30:00Z", "2026-03-29T02:00:00Z") // 02:30, 03:00 BST
}
