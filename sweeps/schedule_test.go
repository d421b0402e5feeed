package sweeps

import (
	"testing"
	"time"
)

func london(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no time zone data for Europe/London: %v "+
			"(install the tzdata package)", err)
	}
	return loc
}

// firings lists the n firings of spec in zone after from.
func firings(t *testing.T, spec, zone string, from time.Time, n int) []time.Time {
	t.Helper()
	s, err := ParseSchedule(spec, zone)
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for at := from; len(out) < n; {
		at = s.Next(at)
		if at.IsZero() {
			t.Fatalf("%s: no firing after %v", spec, out)
		}
		out = append(out, at)
	}
	return out
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func wantFirings(t *testing.T, got []time.Time, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("firings = %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(utc(want[i])) {
			t.Fatalf("firing %d = %v, want %s (all: %v)", i,
				got[i].UTC(), want[i], got)
		}
	}
}

func TestADailyTimeInTheSpringForwardGapFiresOnceWhenTheGapEnds(t *testing.T) {
	london(t)
	// 2026-03-29: London's clocks go from 01:00 GMT to 02:00 BST.
	got := firings(t, "30 1 * * *", "Europe/London",
		utc("2026-03-27T12:00:00Z"), 3)
	wantFirings(t, got,
		"2026-03-28T01:30:00Z", // 01:30 GMT
		"2026-03-29T01:00:00Z", // 02:00 BST, the end of the gap
		"2026-03-30T00:30:00Z") // 01:30 BST
}

func TestSeveralTimesInTheGapFireOnceAtItsEnd(t *testing.T) {
	london(t)
	got := firings(t, "0 0,30 1 * * *", "Europe/London",
		utc("2026-03-28T12:00:00Z"), 3)
	wantFirings(t, got,
		"2026-03-29T01:00:00Z", // 01:00 and 01:30 BST do not exist
		"2026-03-30T00:00:00Z",
		"2026-03-30T00:30:00Z")
}

func TestADailyTimeInTheFallBackRepeatFiresAtItsFirstOccurrenceOnly(t *testing.T) {
	london(t)
	// 2026-10-25: London's clocks go from 02:00 BST back to 01:00 GMT.
	got := firings(t, "30 1 * * *", "Europe/London",
		utc("2026-10-24T12:00:00Z"), 2)
	wantFirings(t, got,
		"2026-10-25T00:30:00Z", // 01:30 BST; 01:30 GMT does not fire
		"2026-10-26T01:30:00Z") // 01:30 GMT the next day
}

func TestAJobStartedInsideTheRepeatedHourDoesNotFireItsTimesAgain(t *testing.T) {
	london(t)
	// 01:10 GMT, the second 01:10 of the day: 01:15 and 01:30 already
	// fired as BST.
	got := firings(t, "*/15 * * * *", "Europe/London",
		utc("2026-10-25T01:10:00Z"), 2)
	wantFirings(t, got, "2026-10-25T02:00:00Z", "2026-10-25T02:15:00Z")
}

func TestSecondsAreOptionalAndUTCIsTheDefaultZone(t *testing.T) {
	got := firings(t, "15 0 6 * * *", "", utc("2026-01-01T00:00:00Z"), 1)
	wantFirings(t, got, "2026-01-01T06:00:15Z")
	got = firings(t, "0 6 * * *", "", utc("2026-01-01T00:00:00Z"), 1)
	wantFirings(t, got, "2026-01-01T06:00:00Z")
}

func TestABadSpecOrZoneIsRefusedNamingIt(t *testing.T) {
	for _, c := range []struct{ spec, zone string }{
		{"61 * * * *", ""}, {"0 6 * * *", "Mars/Olympus"},
		{"CRON_TZ=Europe/London 0 6 * * *", ""},
	} {
		if _, err := ParseSchedule(c.spec, c.zone); err == nil {
			t.Errorf("ParseSchedule(%q, %q) accepted it", c.spec, c.zone)
		}
	}
}
