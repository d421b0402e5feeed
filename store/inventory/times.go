package inventory

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// zero is the time an empty field means.
var zero time.Time

// offsetPattern is a signed whole number of units.
var offsetPattern = regexp.MustCompile(`^([+-])([0-9]{1,9})([smhdw])$`)

// units are the lengths of the offset units.
var units = map[string]time.Duration{"s": time.Second, "m": time.Minute,
	"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}

// maxOffset keeps offsets well inside time.Duration: 200 years.
const maxOffset = 200 * 365 * 24 * time.Hour

// parseTime reads an RFC 3339 time, or an offset from now such as -30d.
func parseTime(s string, now time.Time) (time.Time, error) {
	m := offsetPattern.FindStringSubmatch(s)
	if m == nil {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return zero, fmt.Errorf("not an RFC 3339 time or offset (%q)", s)
		}
		return t, nil
	}
	n, _ := strconv.ParseInt(m[2], 10, 64) // nine digits at most
	unit := units[m[3]]
	if time.Duration(n) > maxOffset/unit {
		return zero, fmt.Errorf("offset %q is more than 200 years", s)
	}
	d := time.Duration(n) * unit
	if m[1] == "-" {
		d = -d
	}
	return now.Add(d), nil
}
