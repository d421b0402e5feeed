package signals

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A mapping names a payload's fields by path: member names joined by
// dots, an array element by its index in brackets, a member whose name
// holds a dot or a bracket by its quoted name in brackets, and, in a
// subject's path only, every element of an array by [*]:
//
//	detection[0].ruleName
//	labels["app.kubernetes.io/name"]
//	collectionElements[*].references[*].event.principal.user.email

// pathStep is one step of a fieldPath: a member name, an index, or every
// element of an array.
type pathStep struct {
	name  string
	index int
	kind  stepKind
}

type stepKind uint8

const (
	stepName stepKind = iota
	stepIndex
	stepEvery
)

// fieldPath is a parsed path; text is as written, for errors.
type fieldPath struct {
	text  string
	steps []pathStep
}

func (p fieldPath) String() string { return p.text }

// wildcard reports whether the path holds [*].
func (p fieldPath) wildcard() bool {
	for _, s := range p.steps {
		if s.kind == stepEvery {
			return true
		}
	}
	return false
}

// overlaps reports whether p and q may reach one value, or one the
// value within the other: step by step as far as the shorter goes, one
// name against the same name, an index against the same index or [*].
func (p fieldPath) overlaps(q fieldPath) bool {
	for i := range min(len(p.steps), len(q.steps)) {
		a, b := p.steps[i], q.steps[i]
		switch {
		case a.kind == stepName || b.kind == stepName:
			if a.kind != b.kind || a.name != b.name {
				return false
			}
		case a.kind == stepIndex && b.kind == stepIndex:
			if a.index != b.index {
				return false
			}
		}
	}
	return true
}

// parsePath parses a path, saying what is wrong and at which byte.
func parsePath(s string) (fieldPath, error) {
	p := fieldPath{text: s}
	if s == "" {
		return p, fmt.Errorf("empty path")
	}
	if strings.TrimSpace(s) != s {
		return p, fmt.Errorf("path %q: leading or trailing space", s)
	}
	for i := 0; i < len(s); {
		step, next, err := parseStep(s, i)
		if err != nil {
			return p, fmt.Errorf("path %q: %w", s, err)
		}
		p.steps = append(p.steps, step)
		i = next
	}
	if p.steps[0].kind != stepName {
		return p, fmt.Errorf("path %q: starts with an index, but a payload "+
			"is an object: start with a member name", s)
	}
	return p, nil
}

// parseStep reads the step at byte i and returns where the next begins.
func parseStep(s string, i int) (pathStep, int, error) {
	switch {
	case s[i] == '[':
		return parseBracket(s, i)
	case s[i] == ']':
		return pathStep{}, 0, fmt.Errorf("unexpected ] at byte %d", i)
	case s[i] == '.' && i == 0:
		return pathStep{}, 0, fmt.Errorf("empty name at byte 0")
	case s[i] == '.':
		i++
	}
	end := i
	for end < len(s) && !strings.ContainsRune(".[]", rune(s[end])) {
		end++
	}
	if end == i {
		return pathStep{}, 0, fmt.Errorf("empty name at byte %d", i)
	}
	return pathStep{name: s[i:end]}, end, nil
}

// parseBracket reads [N], [*] or ["name"] at byte i.
func parseBracket(s string, i int) (pathStep, int, error) {
	if strings.HasPrefix(s[i:], `["`) {
		return parseQuoted(s, i)
	}
	end := strings.IndexByte(s[i:], ']')
	if end < 0 {
		return pathStep{}, 0, fmt.Errorf("[ at byte %d is not closed", i)
	}
	inner := s[i+1 : i+end]
	next := i + end + 1
	if inner == "*" {
		return pathStep{kind: stepEvery}, next, nil
	}
	n, err := strconv.Atoi(inner)
	if err != nil || n < 0 || strings.HasPrefix(inner, "+") {
		return pathStep{}, 0, fmt.Errorf("[%s] at byte %d: not an index "+
			`(0, 1, ...), [*] or a quoted name (["a.b"])`, inner, i)
	}
	return pathStep{kind: stepIndex, index: n}, next, nil
}

// parseQuoted reads ["name"], the name a JSON string.
func parseQuoted(s string, i int) (pathStep, int, error) {
	dec := json.NewDecoder(strings.NewReader(s[i+1:]))
	var name string
	if err := dec.Decode(&name); err != nil {
		return pathStep{}, 0, fmt.Errorf("quoted name at byte %d: not a "+
			"JSON string", i+1)
	}
	end := i + 1 + int(dec.InputOffset())
	if end >= len(s) || s[end] != ']' {
		return pathStep{}, 0, fmt.Errorf("quoted name at byte %d: "+
			"not followed by ]", i+1)
	}
	return pathStep{name: name}, end + 1, nil
}

// get returns the value at a path without [*], and whether it is there.
func (p fieldPath) get(doc map[string]any) (any, bool) {
	var cur any = doc
	for _, s := range p.steps {
		var ok bool
		if cur, ok = s.one(cur); !ok {
			return nil, false
		}
	}
	return cur, true
}

// one takes the step from v.
func (s pathStep) one(v any) (any, bool) {
	switch s.kind {
	case stepName:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok = m[s.name]
		return v, ok
	case stepIndex:
		a, ok := v.([]any)
		if !ok || s.index >= len(a) {
			return nil, false
		}
		return a[s.index], true
	}
	return nil, false
}

// each calls fn with every value the path reaches, [*] taking every
// element of an array, in payload order; fn gets the concrete path of
// the value ("a[2].b"), for errors. A missing member, an index past the
// end and null reach nothing. A scalar where an array is expected is
// taken as an array of that one element, as SIEM exports write a list
// of one flat ([*] and [0] reach it); a step that meets any other value
// of the wrong shape (an object for [*], an array or a scalar for a
// member name) is a *shapeError, not silence: the path names no one.
func (p fieldPath) each(doc map[string]any, fn func(at string, v any) error) error {
	return walkSteps(doc, p.steps, "", fn)
}

func walkSteps(v any, steps []pathStep, at string,
	fn func(at string, v any) error) error {
	if len(steps) == 0 {
		return fn(at, v)
	}
	s, rest := steps[0], steps[1:]
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return s.walkArray(x, rest, at, fn)
	case map[string]any:
		if s.kind != stepName {
			return &shapeError{at: at, got: "an object", want: "an array"}
		}
		if next, ok := x[s.name]; ok {
			return walkSteps(next, rest, at+s.text(at == ""), fn)
		}
		return nil
	}
	switch {
	case s.kind == stepName:
		return &shapeError{at: at, got: "a " + jsonKind(v), want: "an object"}
	case s.kind == stepEvery || s.index == 0:
		return walkSteps(v, rest, at, fn)
	}
	return nil
}

// walkArray takes step s from the array a.
func (s pathStep) walkArray(a []any, rest []pathStep, at string,
	fn func(at string, v any) error) error {
	switch {
	case s.kind == stepName:
		return &shapeError{at: at, got: "an array", want: "an object"}
	case s.kind == stepIndex && s.index < len(a):
		return walkSteps(a[s.index], rest, at+s.text(false), fn)
	case s.kind == stepIndex:
		return nil
	}
	for i, el := range a {
		err := walkSteps(el, rest, at+"["+strconv.Itoa(i)+"]", fn)
		if err != nil {
			return err
		}
	}
	return nil
}

// shapeError is a path's step meeting a value it cannot take.
type shapeError struct {
	at        string // the concrete path of the value
	got, want string
}

func (e *shapeError) Error() string {
	return e.got + " where the path needs " + e.want
}

// jsonKind names a JSON scalar's type.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return "number"
}

// text writes the step back as it appears in a concrete path.
func (s pathStep) text(first bool) string {
	switch {
	case s.kind == stepIndex:
		return "[" + strconv.Itoa(s.index) + "]"
	case strings.ContainsAny(s.name, ".[]") || s.name == "":
		return "[" + strconv.Quote(s.name) + "]"
	case first:
		return s.name
	}
	return "." + s.name
}
