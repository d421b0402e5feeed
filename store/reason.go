package store

import "fmt"

// reasonError is an error of a sentinel kind (ErrNotFound, ErrInvalid,
// ...) told in its own words: errors.Is matches the kind, and the text
// does not append the kind's generic words to a reason that says more.
type reasonError struct {
	kind error
	msg  string
}

func (e *reasonError) Error() string { return e.msg }
func (e *reasonError) Unwrap() error { return e.kind }

// Reason returns an error of kind whose text is the formatted reason
// alone: "not in force: lifted by operator:erin", not "...: invalid
// record". Wrap it with the operation and the record's id as usual.
func Reason(kind error, format string, args ...any) error {
	return &reasonError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
