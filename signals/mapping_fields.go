package signals

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// wordField reads a severity or a category: a constant, or the source's
// word or number at path looked up in a map, with an optional default
// for a field that is missing or holds a word the map does not have.
type wordField struct {
	name     string // "severity" or "category", for errors
	constant string
	path     fieldPath
	// words maps the source's word, trimmed and in lower case, to ours.
	words map[string]string
	def   string
}

func (w wordField) read(f Format, doc map[string]any) (string, error) {
	if w.constant != "" {
		return w.constant, nil
	}
	v, ok := w.path.get(doc)
	if !ok || v == nil {
		if w.def != "" {
			return w.def, nil
		}
		return "", fieldErr(f, w.path.text, "missing (no "+w.name+
			" default)", nil)
	}
	word, isText := scalarText(v)
	if !isText {
		return "", fieldErr(f, w.path.text, "not a string or number", nil)
	}
	if ours, ok := w.words[normalWord(word)]; ok {
		return ours, nil
	}
	if w.def != "" {
		return w.def, nil
	}
	return "", fieldErr(f, w.path.text, "not in the "+w.name+
		" map (no default)", word)
}

// normalWord is how a source's word is compared: trimmed, lower case.
func normalWord(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// scalarText is a string, number or boolean as text.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return fmt.Sprint(v), true
	}
	return "", false
}

// template is text with fields of the payload in it: "{{id}}:{{time}}".
type template struct {
	parts []templatePart
}

// templatePart is literal text, or a field when path has steps.
type templatePart struct {
	literal string
	path    fieldPath
}

// render writes the template. A field that is an object or an array is
// an error; a missing or null one is an error when required, else
// renders as nothing.
func (t template) render(f Format, doc map[string]any, required bool) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.path.steps == nil {
			b.WriteString(p.literal)
			continue
		}
		v, ok := p.path.get(doc)
		if !ok || v == nil {
			if required {
				return "", fieldErr(f, p.path.text, "missing", nil)
			}
			continue
		}
		s, ok := scalarText(v)
		if !ok {
			return "", fieldErr(f, p.path.text, "not a string, number "+
				"or boolean", nil)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// paths lists the fields the template reads.
func (t template) paths() []fieldPath {
	var out []fieldPath
	for _, p := range t.parts {
		if p.path.steps != nil {
			out = append(out, p.path)
		}
	}
	return out
}

// parseTemplate reads "{{ path }}" fields out of text.
func parseTemplate(s string) (template, error) {
	var t template
	for s != "" {
		open := strings.Index(s, "{{")
		if open < 0 {
			t.parts = append(t.parts, templatePart{literal: s})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, templatePart{literal: s[:open]})
		}
		end := strings.Index(s[open:], "}}")
		if end < 0 {
			return t, fmt.Errorf("{{ is not closed by }}")
		}
		p, err := parsePath(strings.TrimSpace(s[open+2 : open+end]))
		if err != nil {
			return t, err
		}
		if p.wildcard() {
			return t, fmt.Errorf("path %q: [*] names many values; a "+
				"template takes one", p.text)
		}
		t.parts = append(t.parts, templatePart{path: p})
		s = s[open+end+2:]
	}
	return t, nil
}

// subjectLogin is the subject type of a mapping that means "an e-mail
// when the value is an address, else a username", as identity providers
// put either in one field.
const subjectLogin SubjectType = "login"

// subjectField names subjects: the value at path, or each element when
// it is an array (or the path has [*]).
type subjectField struct {
	path fieldPath
	typ  SubjectType
	role Role
	// secret: the value is a raw secret, named by its fingerprint.
	secret bool
}

func (sf subjectField) read(f Format, doc map[string]any, l *subjectList) error {
	var err error
	shape := sf.path.each(doc, func(at string, v any) error {
		if items, ok := v.([]any); ok {
			for i, item := range items {
				err = firstErr(err, sf.add(f, fmt.Sprintf("%s[%d]", at, i), item, l))
			}
			return nil
		}
		err = firstErr(err, sf.add(f, at, v, l))
		return nil
	})
	var se *shapeError
	if errors.As(shape, &se) {
		return fieldErr(f, se.at, fmt.Sprintf("%s (subject path %q)",
			se.Error(), sf.path), nil)
	}
	return err
}

func (sf subjectField) add(f Format, at string, v any, l *subjectList) error {
	if v == nil {
		return nil
	}
	s, ok := v.(string)
	if n, isNum := v.(json.Number); isNum {
		s, ok = n.String(), true
	}
	if !ok {
		return fieldErr(f, at, "not a string or number (subject "+
			string(sf.typ)+")", nil)
	}
	switch {
	case sf.secret:
		l.add(sf.typ, fingerprintOf(s), sf.role)
	case sf.typ == subjectLogin:
		l.addLogin(strings.TrimSpace(s), sf.role)
	case sf.typ == SubjectIP:
		l.addIP(s, sf.role)
	default:
		l.add(sf.typ, s, sf.role)
	}
	return nil
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// attributeField copies a string, boolean or number to an attribute, or
// its fingerprint (sha256:<hex>) when it is a secret.
type attributeField struct {
	path   fieldPath
	name   string
	secret bool
}

func (af attributeField) read(f Format, doc map[string]any, a attrs) error {
	v, ok := af.path.get(doc)
	if !ok || v == nil {
		return nil
	}
	if af.secret {
		s, isText := scalarText(v)
		if _, isBool := v.(bool); !isText || isBool {
			return fieldErr(f, af.path.text, "not a string or number "+
				"(secret attribute "+af.name+")", nil)
		}
		a.text(af.name, fingerprintOf(s))
		return nil
	}
	if af.name == attrResolved {
		if _, isBool := v.(bool); !isBool {
			return fieldErr(f, af.path.text, "not a boolean (attribute "+
				attrResolved+")", v)
		}
	}
	if !validAttribute(v) {
		return fieldErr(f, af.path.text, "not a string, number or boolean "+
			"(attribute "+af.name+")", nil)
	}
	if s, isString := v.(string); isString {
		a.text(af.name, s)
		return nil
	}
	a[af.name] = v
	return nil
}

// attrResolved is the attribute every format shares: the source says
// the finding was dealt with.
const attrResolved = "resolved"

// fingerprintOf is a secret's fingerprint, or "" for a blank one.
func fingerprintOf(secret string) string {
	if secret == "" {
		return ""
	}
	return secretHash(secret)
}
