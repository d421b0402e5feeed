package store

import (
	"errors"
	"strings"
)

// ErrCountry is the reason ParseCountry refuses a value, worded for the
// operator who typed it.
var ErrCountry = errors.New("not a two-letter country code (US)")

// ParseCountry reads a country filter: an ISO 3166 two-letter code in
// either case, returned in upper case as the registry keeps origins.
// An empty value is no filter. Every reader of a country filter (the
// API, the console) checks it here, so that none matches nothing
// silently where another refuses.
func ParseCountry(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if len(v) != 2 || !isLetter(v[0]) || !isLetter(v[1]) {
		return "", ErrCountry
	}
	return strings.ToUpper(v), nil
}

func isLetter(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}
