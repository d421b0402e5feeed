package main

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// safeWriter shows a terminal what it is written rather than letting the
// terminal obey it. Alerts, policies and providers put text into what
// the CLI prints (a detector's title in a policy's reason, a user agent,
// a device name), and a terminal acts on some of it: an escape sequence
// erases or rewrites lines, sets the window title or answers back; a
// carriage return overwrites a line; a bidirectional override reverses
// what follows. Every control character but newline and tab, and every
// other character that is not graphic (format characters, line and
// paragraph separators, private use), is written as a \u escape of four
// hex digits (U+202E as \u202e), which is valid in a JSON string too, so
// JSON output stays JSON; a byte that is not UTF-8 is written as a \x
// escape of two (0xff as \xff), which JSON output never needs, as
// encoding/json writes such a byte as \ufffd.
type safeWriter struct {
	w io.Writer
	// pending holds the start of a character that the next write ends.
	pending []byte
}

func newSafeWriter(w io.Writer) *safeWriter { return &safeWriter{w: w} }

func (s *safeWriter) Write(p []byte) (int, error) {
	buf := append(s.pending, p...)
	out := make([]byte, 0, len(buf))
	i := 0
	for i < len(buf) {
		if buf[i] >= utf8.RuneSelf && !utf8.FullRune(buf[i:]) {
			break
		}
		r, size := utf8.DecodeRune(buf[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\x%02x`, buf[i])
		case r == '\n' || r == '\t' || unicode.IsGraphic(r):
			out = append(out, buf[i:i+size]...)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	s.pending = append(s.pending[:0:0], buf[i:]...)
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// lineBreaks writes a newline, a carriage return and a tab as \n, \r and
// \t.
var lineBreaks = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`)

// oneLine keeps a value the CLI prints on one line of its own, or in a
// table cell, from starting another line or cell: an alert's text with
// a newline in it read as a row of its own. What else a terminal would
// obey is left to safeWriter.
func oneLine(s string) string { return lineBreaks.Replace(s) }
