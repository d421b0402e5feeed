// Package duration reads the durations people write in flags, query
// parameters and config files: Go's ("90s", "36h") or a whole number of
// days ("7d"), which Go's syntax lacks.
package duration

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// maxDays is the most days a time.Duration holds.
const maxDays = math.MaxInt64 / int64(day)

// ErrSyntax is what Parse returns for a value that is neither form.
var ErrSyntax = errors.New("is not a duration such as 36h or 7d")

// Parse reads a Go duration or a whole number of days. A number of days
// too large for a time.Duration is an error, never a value that wrapped
// around. The sign is kept: callers refuse what they cannot use.
func Parse(s string) (time.Duration, error) {
	n, isDays := strings.CutSuffix(s, "d")
	if !isDays {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q %w", s, ErrSyntax)
		}
		return d, nil
	}
	days, err := strconv.ParseInt(n, 10, 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q %w", s, ErrSyntax)
	case days > maxDays || days < -maxDays:
		return 0, fmt.Errorf("%q: more days than a duration holds "+
			"(%d at most)", s, maxDays)
	}
	return time.Duration(days) * day, nil
}
