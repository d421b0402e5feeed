package signals

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// Epoch numbers carry no unit, and sources differ: OCSF says
// milliseconds but the corpus has seconds, GuardDuty's apiCalls use
// seconds, Falco sends nanoseconds, Google Workspace microseconds. The
// unit is decided by magnitude, which is unambiguous for any time after
// 1973-03-03 (10^11 ms) and before 5138 (10^11 s):
//
//	below 10^11  seconds
//	below 10^14  milliseconds
//	below 10^17  microseconds
//	otherwise    nanoseconds
const (
	secondsBelow = 1e11
	millisBelow  = 1e14
	microsBelow  = 1e17
)

var errNegativeEpoch = errors.New("negative epoch")

// epochTime converts a JSON number to a UTC time, choosing its unit by
// magnitude. Integers are converted exactly (a nanosecond timestamp
// above 2^53 keeps every digit); fractions go through float64.
func epochTime(n json.Number) (time.Time, error) {
	if i, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
		return epochInt(i)
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsInf(f, 0) {
		return time.Time{}, errors.New("not a number")
	}
	return epochFloat(f)
}

func epochInt(i int64) (time.Time, error) {
	switch {
	case i < 0:
		return time.Time{}, errNegativeEpoch
	case i < secondsBelow:
		return time.Unix(i, 0).UTC(), nil
	case i < millisBelow:
		return time.UnixMilli(i).UTC(), nil
	case i < microsBelow:
		return time.UnixMicro(i).UTC(), nil
	}
	return time.Unix(0, i).UTC(), nil
}

func epochFloat(f float64) (time.Time, error) {
	if f < 0 || math.IsNaN(f) {
		return time.Time{}, errNegativeEpoch
	}
	nsPerUnit := 1.0
	switch {
	case f < secondsBelow:
		nsPerUnit = 1e9
	case f < millisBelow:
		nsPerUnit = 1e6
	case f < microsBelow:
		nsPerUnit = 1e3
	}
	ns := f * nsPerUnit
	if ns >= math.MaxInt64 {
		return time.Time{}, errors.New("out of range")
	}
	return time.Unix(0, int64(ns)).UTC(), nil
}

// parseRFC3339 parses an RFC 3339 time with any fraction of a second and
// any offset, and returns it in UTC.
func parseRFC3339(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// rfc3339At reads a required RFC 3339 time at path.
func rfc3339At(f Format, doc map[string]any, path string) (time.Time, error) {
	v, ok := lookup(doc, path)
	if !ok || v == nil {
		return time.Time{}, fieldErr(f, path, "missing", nil)
	}
	s, _ := v.(string)
	t, ok := parseRFC3339(s)
	if !ok {
		return time.Time{}, fieldErr(f, path, "not an RFC 3339 time", v)
	}
	return t, nil
}

// epochAt reads a required epoch number at path.
func epochAt(f Format, doc map[string]any, path string) (time.Time, error) {
	v, ok := lookup(doc, path)
	if !ok || v == nil {
		return time.Time{}, fieldErr(f, path, "missing", nil)
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, fieldErr(f, path, "not an epoch number", v)
	}
	t, err := epochTime(n)
	if err != nil {
		return time.Time{}, fieldErr(f, path, "not an epoch time: "+err.Error(), v)
	}
	return t, nil
}

// timeAt reads a required time at path written either as an RFC 3339
// string or as an epoch number.
func timeAt(f Format, doc map[string]any, path string) (time.Time, error) {
	v, _ := lookup(doc, path)
	if _, ok := v.(json.Number); ok {
		return epochAt(f, doc, path)
	}
	return rfc3339At(f, doc, path)
}

// firstTime reads the first of paths that is present (not missing and
// not null), and returns the path it used. With none present it reports
// them all as missing ("time_dt or time: missing").
func firstTime(f Format, doc map[string]any,
	paths ...string) (time.Time, string, error) {
	for _, p := range paths {
		if v, ok := lookup(doc, p); ok && v != nil {
			t, err := timeAt(f, doc, p)
			return t, p, err
		}
	}
	field := strings.Join(paths, " or ")
	return time.Time{}, "", fieldErr(f, field, "missing", nil)
}
