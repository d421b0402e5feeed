package signals

import (
	"errors"
	"fmt"
)

// ErrUnknownFormat is returned when no decoder recognises a payload.
var ErrUnknownFormat = errors.New("no decoder recognises this payload")

// ErrNotJSON is returned when a payload is not a single JSON object.
var ErrNotJSON = errors.New("payload is not a JSON object")

// FieldError says which field of a recognised payload is wrong, and why.
// Its message reads: `signal okta: published: not an RFC 3339 time
// ("yesterday")`.
type FieldError struct {
	Format Format
	// Field is the JSON path of the field, dotted ("alert.created_at").
	Field string
	// Value is the offending value, quoted and shortened; empty when the
	// field is missing.
	Value string
	// Problem says what is wrong ("missing", "not an RFC 3339 time").
	Problem string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("signal %s: %s: %s", e.Format, e.Field, e.Problem)
	}
	return fmt.Sprintf("signal %s: %s: %s (%s)",
		e.Format, e.Field, e.Problem, e.Value)
}

// fieldErr builds a FieldError, quoting and shortening the value so that
// a huge or binary field cannot flood a log line or a DLQ header.
func fieldErr(f Format, field, problem string, value any) *FieldError {
	v := ""
	if value != nil {
		v = fmt.Sprintf("%q", shorten(fmt.Sprint(value), 64))
	}
	return &FieldError{Format: f, Field: field, Value: v, Problem: problem}
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// nested puts prefix before the field of a *FieldError, for a decoder
// that reads a document found inside another ("value[0].", "object."),
// so that the error names the field where it is in the payload.
func nested(prefix string, err error) error {
	if fe, ok := err.(*FieldError); ok && prefix != "" {
		copied := *fe
		copied.Field = prefix + fe.Field
		return &copied
	}
	return err
}
