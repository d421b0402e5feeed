package signals

import (
	"encoding/json"
	"strings"
)

// A decoded payload is a tree of map[string]any, []any, string,
// json.Number, bool and nil. The accessors below walk it by dotted path
// ("alert.secret_type") and return the zero value when a step is missing
// or of another type, so that optional fields read as absent rather than
// as errors. Decoders that need a field to be present say so with
// requireText, which names the path in its FieldError.

// lookup returns the value at a dotted path and whether it was present.
func lookup(doc map[string]any, path string) (any, bool) {
	cur := doc
	for {
		key, rest, more := strings.Cut(path, ".")
		v, ok := cur[key]
		if !ok || !more {
			return v, ok
		}
		if cur, ok = v.(map[string]any); !ok {
			return nil, false
		}
		path = rest
	}
}

// str returns the string at path, or "" when it is absent or not a
// string.
func str(doc map[string]any, path string) string {
	v, _ := lookup(doc, path)
	s, _ := v.(string)
	return s
}

// text returns the string or the number at path as written in the
// payload, for identifiers that some sources send as numbers (an alert
// number, an incident id). Anything else reads as "".
func text(doc map[string]any, path string) string {
	v, _ := lookup(doc, path)
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// firstText returns the first non-empty text among paths, or "".
func firstText(doc map[string]any, paths ...string) string {
	for _, p := range paths {
		if s := text(doc, p); s != "" {
			return s
		}
	}
	return ""
}

// obj returns the object at path, or nil.
func obj(doc map[string]any, path string) map[string]any {
	v, _ := lookup(doc, path)
	m, _ := v.(map[string]any)
	return m
}

// list returns the array at path, or nil.
func list(doc map[string]any, path string) []any {
	v, _ := lookup(doc, path)
	a, _ := v.([]any)
	return a
}

// objects returns the objects of the array at path, skipping elements
// of any other type.
func objects(doc map[string]any, path string) []map[string]any {
	var out []map[string]any
	for _, v := range list(doc, path) {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// strs returns the non-empty strings of the array at path, skipping
// elements of any other type.
func strs(doc map[string]any, path string) []string {
	var out []string
	for _, v := range list(doc, path) {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// number returns the JSON number at path.
func number(doc map[string]any, path string) (json.Number, bool) {
	v, _ := lookup(doc, path)
	n, ok := v.(json.Number)
	return n, ok
}

// flag reads a boolean at path. Some sources write booleans as the
// strings "true" and "false" (Okta's debugData); both forms are read.
func flag(doc map[string]any, path string) (value, ok bool) {
	v, _ := lookup(doc, path)
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// requireText returns the non-empty string or number at path, or a
// FieldError naming the path when it is missing, empty or of another
// type.
func requireText(f Format, doc map[string]any, path string) (string, error) {
	v, ok := lookup(doc, path)
	if !ok || v == nil {
		return "", fieldErr(f, path, "missing", nil)
	}
	s := text(doc, path)
	if strings.TrimSpace(s) == "" {
		return "", fieldErr(f, path, "not a non-empty string", nil)
	}
	return s, nil
}

// secretText reads an optional string at path that fingerprints a secret:
// "" when absent, null or empty, and a FieldError naming the path when it
// is there with another type, so that an exposure cannot silently match
// no credential. The error never shows the value: it may be the secret.
func secretText(f Format, doc map[string]any, path string) (string, error) {
	v, _ := lookup(doc, path)
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fieldErr(f, path, "not a string", nil)
	}
	return s, nil
}

// hasAnyPrefix reports whether s starts with one of prefixes.
func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
