package signals

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// ErrAmbiguousMapping is returned when more than one mapping matches a
// payload: which one decodes it would depend on their order in the file.
var ErrAmbiguousMapping = errors.New("more than one mapping matches this payload")

// Mappings is a set of declarative decoders, loaded from a mapping file
// (see LoadMappings), for alerts in formats no built-in decoder knows.
// A nil *Mappings holds none. It is safe for concurrent use.
type Mappings struct {
	file string
	list []*mapping
}

// File is the file the mappings were loaded from.
func (m *Mappings) File() string {
	if m == nil {
		return ""
	}
	return m.file
}

// Names lists the mappings' names in file order.
func (m *Mappings) Names() []string {
	if m == nil {
		return nil
	}
	out := make([]string, len(m.list))
	for i, mp := range m.list {
		out[i] = mp.name
	}
	return out
}

// Decode is the package's Decode with the mappings as a last resort:
// the built-in decoders are asked first, and a payload one of them
// accepts is decoded by it whatever the mappings say. A payload none
// accepts is decoded by the one mapping whose match it meets; one that
// meets none fails exactly as Decode fails (ErrUnknownFormat), and one
// that meets two is ErrAmbiguousMapping naming both.
func (m *Mappings) Decode(payload []byte) (Signal, error) {
	doc, err := parseObject(payload)
	if err != nil {
		return Signal{}, err
	}
	for _, d := range wiring {
		if d.Detect(doc) {
			return decodeWith(d, doc)
		}
	}
	mp, err := m.matching(doc)
	if err != nil {
		return Signal{}, err
	}
	if mp == nil {
		return Signal{}, unknownFormat(doc)
	}
	return decodeWith(mp, doc)
}

// matching returns the one mapping that matches doc, or nil.
func (m *Mappings) matching(doc map[string]any) (*mapping, error) {
	if m == nil {
		return nil, nil
	}
	var found *mapping
	for _, mp := range m.list {
		if !mp.Detect(doc) {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("%w: %q and %q (%s)", ErrAmbiguousMapping,
				found.name, mp.name, m.file)
		}
		found = mp
	}
	return found, nil
}

// mapping is one compiled mapping: a Decoder built from a mapping file.
type mapping struct {
	name       string
	format     Format
	match      []condition
	time       timeField
	severity   wordField
	category   wordField
	typ        template
	summary    template
	dedupKey   template
	subjects   []subjectField
	attributes []attributeField
}

// Format is generic:<name>.
func (mp *mapping) Format() Format { return mp.format }

// Detect reports whether every condition of the match holds.
func (mp *mapping) Detect(doc map[string]any) bool {
	for _, c := range mp.match {
		if !c.holds(doc) {
			return false
		}
	}
	return true
}

// Decode reads the fields the mapping names.
func (mp *mapping) Decode(doc map[string]any) (Signal, error) {
	t, err := mp.time.read(mp.format, doc)
	if err != nil {
		return Signal{}, err
	}
	sev, err := mp.severity.read(mp.format, doc)
	if err != nil {
		return Signal{}, err
	}
	cat, err := mp.category.read(mp.format, doc)
	if err != nil {
		return Signal{}, err
	}
	s := Signal{Format: mp.format, Severity: Severity(sev),
		Category: Category(cat), Time: t}
	if err := mp.decodeText(doc, &s); err != nil {
		return Signal{}, err
	}
	if s.Subjects, err = mp.readSubjects(doc); err != nil {
		return Signal{}, err
	}
	s.Attributes, err = mp.readAttributes(doc)
	return s, err
}

// decodeText fills the type, summary and dedup key. Only the dedup key
// needs its fields: without them two alerts would share a key.
func (mp *mapping) decodeText(doc map[string]any, s *Signal) error {
	var err error
	if s.Type, err = mp.typ.render(mp.format, doc, false); err != nil {
		return err
	}
	if s.Summary, err = mp.summary.render(mp.format, doc, false); err != nil {
		return err
	}
	if mp.dedupKey.parts == nil {
		s.DedupKey = string(mp.format) + ":sha256:" + digest(doc)
		return nil
	}
	key, err := mp.dedupKey.render(mp.format, doc, true)
	if err != nil {
		return err
	}
	if strings.TrimSpace(key) == "" {
		return fieldErr(mp.format, "dedup_key", "renders empty", nil)
	}
	s.DedupKey = string(mp.format) + ":" + key
	return nil
}

func (mp *mapping) readSubjects(doc map[string]any) ([]Subject, error) {
	var l subjectList
	for _, sf := range mp.subjects {
		if err := sf.read(mp.format, doc, &l); err != nil {
			return nil, err
		}
	}
	return l.list(), nil
}

func (mp *mapping) readAttributes(doc map[string]any) (map[string]any, error) {
	a := attrs{}
	for _, af := range mp.attributes {
		if err := af.read(mp.format, doc, a); err != nil {
			return nil, err
		}
	}
	if len(a) == 0 {
		return nil, nil
	}
	return a, nil
}

// condition is one test of a match on the field at path.
type condition struct {
	path fieldPath
	// exists: the field must be there (not null) or, when false, must
	// not be; nil when the condition compares values.
	exists *bool
	// values: the field must equal one of them.
	values []scalar
}

func (c condition) holds(doc map[string]any) bool {
	v, ok := c.path.get(doc)
	present := ok && v != nil
	if c.exists != nil {
		return present == *c.exists
	}
	for _, want := range c.values {
		if want.equals(v, ok) {
			return true
		}
	}
	return false
}

// scalar is a value a condition compares with: a string, a number, a
// boolean or null, of the type the mapping file gave it. A string never
// equals a number.
type scalar struct {
	kind scalarKind
	text string
	num  *big.Rat
	b    bool
}

type scalarKind uint8

const (
	scalarString scalarKind = iota
	scalarNumber
	scalarBool
	scalarNull
)

func (s scalar) equals(v any, present bool) bool {
	switch v := v.(type) {
	case string:
		return s.kind == scalarString && s.text == v
	case json.Number:
		if s.kind != scalarNumber {
			return false
		}
		if s.text == v.String() {
			return true
		}
		n, ok := new(big.Rat).SetString(v.String())
		return ok && n.Cmp(s.num) == 0
	case bool:
		return s.kind == scalarBool && s.b == v
	case nil:
		return s.kind == scalarNull && present
	}
	return false
}

// timeField reads the signal's time.
type timeField struct {
	path   fieldPath
	layout string
}

// The layouts a time field may have.
const (
	layoutRFC3339     = "rfc3339"
	layoutUnixSeconds = "unix_seconds"
	layoutUnixMillis  = "unix_millis"
)

func (tf timeField) read(f Format, doc map[string]any) (time.Time, error) {
	v, ok := tf.path.get(doc)
	if !ok || v == nil {
		return time.Time{}, fieldErr(f, tf.path.text, "missing", nil)
	}
	if tf.layout == layoutRFC3339 {
		s, _ := v.(string)
		t, ok := parseRFC3339(s)
		if !ok {
			return time.Time{}, fieldErr(f, tf.path.text,
				"not an RFC 3339 time", v)
		}
		return t, nil
	}
	return tf.readUnix(f, v)
}

// readUnix reads seconds or milliseconds since 1970, written as a number
// or as a string of one.
func (tf timeField) readUnix(f Format, v any) (time.Time, error) {
	var text string
	switch v := v.(type) {
	case json.Number:
		text = v.String()
	case string:
		text = strings.TrimSpace(v)
	}
	n, ok := new(big.Rat).SetString(text)
	if text == "" || !ok || n.Sign() < 0 {
		return time.Time{}, fieldErr(f, tf.path.text,
			"not a non-negative number ("+tf.layout+")", v)
	}
	perUnit := big.NewRat(int64(time.Second), 1)
	if tf.layout == layoutUnixMillis {
		perUnit = big.NewRat(int64(time.Millisecond), 1)
	}
	ns := new(big.Rat).Mul(n, perUnit)
	whole := new(big.Int).Quo(ns.Num(), ns.Denom())
	if !whole.IsInt64() {
		return time.Time{}, fieldErr(f, tf.path.text,
			"out of range ("+tf.layout+")", v)
	}
	return time.Unix(0, whole.Int64()).UTC(), nil
}
