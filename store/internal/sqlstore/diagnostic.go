package sqlstore

import "strings"

// diagnostic is s, an error or reason from outside the registry kept
// for people to read (what a connector or a receiver answered, a
// verdict's reason), with every NUL character and every byte that is
// not UTF-8 replaced by U+FFFD. PostgreSQL holds no such text and
// refused the whole write: an action whose connector answered a body
// that was not UTF-8, or a message cut inside a character, could not be
// retried nor failed, and was run again at each lease's end for good.
// SQLite kept them; both keep the same now.
func diagnostic(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\uFFFD"),
		"\uFFFD")
}
