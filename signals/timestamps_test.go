package signals

import (
	"encoding/json"
	"testing"
	"time"
)

func TestEpochUnitIsChosenByMagnitude(t *testing.T) {
	tests := []struct {
		name, number, want string
	}{
		{"Seconds", "1615304991", "2021-03-09T15:49:51Z"},
		{"Milliseconds", "1695135922487", "2023-09-19T15:05:22.487Z"},
		{"Microseconds", "1593695305123456", "2020-07-02T13:08:25.123456Z"},
		{"Nanoseconds above 2^53", "1715108059341081180",
			"2024-05-07T18:54:19.34108118Z"},
		{"Seconds with a fraction", "1615304991.5", "2021-03-09T15:49:51.5Z"},
		{"Seconds in exponent form", "1.615304991e9", "2021-03-09T15:49:51Z"},
		{"Zero is the epoch", "0", "1970-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := epochTime(json.Number(tt.number))
			if err != nil {
				t.Fatal(err)
			}
			if s := got.Format(time.RFC3339Nano); s != tt.want {
				t.Errorf("epochTime(%s) = %s, want %s", tt.number, s, tt.want)
			}
			if got.Location() != time.UTC {
				t.Errorf("location %s, want UTC", got.Location())
			}
		})
	}
}

func TestEpochRejectsWhatIsNoTime(t *testing.T) {
	for _, n := range []string{"-1", "-1.5", "1e400", "9.3e18"} {
		if got, err := epochTime(json.Number(n)); err == nil {
			t.Errorf("epochTime(%s) = %s, want an error", n, got)
		}
	}
}

func TestRFC3339OffsetsAreConvertedToUTC(t *testing.T) {
	got, ok := parseRFC3339("2023-09-19T11:05:22.487-04:00")
	want := time.Date(2023, 9, 19, 15, 5, 22, 487e6, time.UTC)
	if !ok || !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("parse = %s, %v; want %s", got, ok, want)
	}
	for _, bad := range []string{"yesterday", "2023-09-19", "20131102T010628Z", ""} {
		if _, ok := parseRFC3339(bad); ok {
			t.Errorf("%q parsed as RFC 3339", bad)
		}
	}
}
