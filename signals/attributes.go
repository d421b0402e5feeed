package signals

import (
	"encoding/json"
	"strings"
)

// attrs builds a Signal's Attributes. Its setters skip absent values so
// that a policy can test a key's presence instead of comparing with "".
type attrs map[string]any

// text sets key to a non-blank string.
func (a attrs) text(key, value string) {
	if strings.TrimSpace(value) != "" {
		a[key] = value
	}
}

// lower sets key to a non-blank string in lower case, for enumerations
// whose case differs between sources ("SUCCESS", "Success").
func (a attrs) lower(key, value string) {
	a.text(key, strings.ToLower(strings.TrimSpace(value)))
}

// flag sets key to a boolean read from doc at path, when present.
func (a attrs) flag(key string, doc map[string]any, path string) {
	if v, ok := flag(doc, path); ok {
		a[key] = v
	}
}

// number sets key to the JSON number at path, digits as written.
func (a attrs) number(key string, doc map[string]any, path string) {
	if n, ok := number(doc, path); ok {
		a[key] = n
	}
}

// valid reports whether v is a type Attributes may hold.
func validAttribute(v any) bool {
	switch v.(type) {
	case string, bool, json.Number:
		return true
	}
	return false
}
