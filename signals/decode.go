package signals

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Decode detects the format of one alert payload and normalises it.
//
// The payload must be exactly one JSON object; numbers keep every digit
// (nanosecond timestamps and ids above 2^53 are not rounded). The
// decoders listed by Decoders are asked in order and the first whose
// Detect accepts the document decodes it. Errors:
//
//   - ErrNotJSON, wrapped with the reason and byte offset, when the
//     payload is not a single JSON object, is not UTF-8, or names one
//     member twice in an object (wrapped with the member's path);
//   - ErrUnknownFormat, wrapped with the top-level keys seen, when no
//     decoder accepts it;
//   - a *FieldError when a recognised payload has a bad field.
//
// Every returned Signal has passed Validate.
//
// Mappings.Decode decodes as Decode does, and alerts of formats no
// decoder knows by a mapping file's mappings.
func Decode(payload []byte) (Signal, error) {
	var none *Mappings
	return none.Decode(payload)
}

// DecodeAs decodes a payload that the caller says is in format f (a
// webhook route per source, say). It still checks that the payload looks
// like f, and returns ErrUnknownFormat when it does not: a decoder is
// only ever given documents its Detect accepted.
func DecodeAs(f Format, payload []byte) (Signal, error) {
	d, ok := decoderFor(f)
	if !ok {
		return Signal{}, fmt.Errorf("decode as %q: no such format", f)
	}
	doc, err := parseObject(payload)
	if err != nil {
		return Signal{}, fmt.Errorf("decode as %s: %w", f, err)
	}
	if !d.Detect(doc) {
		return Signal{}, fmt.Errorf("decode as %s: %w", f, unknownFormat(doc))
	}
	return decodeWith(d, doc)
}

func decoderFor(f Format) (Decoder, bool) {
	for _, d := range wiring {
		if d.Format() == f {
			return d, true
		}
	}
	return nil, false
}

// decodeWith runs one decoder and validates what it returns, so that no
// decoder can hand the engine a half-filled Signal.
func decodeWith(d Decoder, doc map[string]any) (Signal, error) {
	s, err := d.Decode(doc)
	if err != nil {
		return Signal{}, err
	}
	if err := s.Validate(); err != nil {
		return Signal{}, fmt.Errorf("decode %s: %w", d.Format(), err)
	}
	return s, nil
}

// utf8BOM is skipped at the start of a payload: some exporters write it.
var utf8BOM = []byte("\xef\xbb\xbf")

// parseObject parses a payload that must hold one JSON object and
// nothing after it, in UTF-8 and with no member name twice in one object
// (see checkStrict), keeping numbers as json.Number.
func parseObject(payload []byte) (map[string]any, error) {
	payload = bytes.TrimPrefix(payload, utf8BOM)
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, notJSON(err, int64(len(payload)))
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: top-level value is %s", ErrNotJSON, kindOf(v))
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the object at byte %d",
			ErrNotJSON, end)
	}
	if err := checkStrict(payload); err != nil {
		return nil, err
	}
	return doc, nil
}

// notJSON describes a decoding failure with where it happened; an
// unexpected end is at the end of the payload, size bytes in.
func notJSON(err error, size int64) error {
	var syn *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: empty payload", ErrNotJSON)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: unexpected end of input at byte %d",
			ErrNotJSON, size)
	case errors.As(err, &syn):
		return fmt.Errorf("%w: %s at byte %d", ErrNotJSON, syn, syn.Offset)
	}
	return fmt.Errorf("%w: %w", ErrNotJSON, err)
}

func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// maxKeysShown bounds the key hint of ErrUnknownFormat so that a huge
// object cannot flood a log line or a dead-letter header.
const maxKeysShown = 12

// unknownFormat wraps ErrUnknownFormat with the field that kept the
// nearest decoder out (see nearMiss) or, when no decoder is near, with
// the document's top-level keys, sorted and shortened, as a hint of what
// was received.
func unknownFormat(doc map[string]any) error {
	if fe := nearMiss(doc); fe != nil {
		return nearMissError(fe)
	}
	if len(doc) == 0 {
		return fmt.Errorf("%w (empty object)", ErrUnknownFormat)
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, keyHint(k))
	}
	slices.Sort(keys)
	hint := keys
	if len(keys) > maxKeysShown {
		hint = append(keys[:maxKeysShown:maxKeysShown],
			fmt.Sprintf("and %d more", len(keys)-maxKeysShown))
	}
	return fmt.Errorf("%w (top-level keys: %s)",
		ErrUnknownFormat, strings.Join(hint, ", "))
}

// keyHint writes a key as is when it is plain, quoted when it holds
// spaces, punctuation that would blur the list, or control characters.
func keyHint(k string) string {
	k = shorten(k, 40)
	plain := k != "" && !strings.ContainsFunc(k, func(r rune) bool {
		return r <= ' ' || r == ',' || r == '"' || r == '(' || r == ')' ||
			!unicode.IsPrint(r)
	})
	if plain {
		return k
	}
	return strconv.Quote(k)
}
