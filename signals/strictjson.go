package signals

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// encoding/json reads what RFC 8259 leaves open without a word: a byte
// that is not UTF-8 becomes U+FFFD, and of two members with one name the
// last wins. Both would make Decode guess: two alerts whose ids differ in
// their bad bytes would share a dedup key, and an object that says
// "created" and "resolved" would be read as whichever came last, where
// the sender may have meant the first. checkStrict refuses both, naming
// where they are.
func checkStrict(payload []byte) error {
	if at := invalidUTF8(payload); at >= 0 {
		return fmt.Errorf("%w: invalid UTF-8 at byte %d", ErrNotJSON, at)
	}
	if path, ok := duplicateKey(payload); ok {
		return fmt.Errorf("%w: key %q appears twice", ErrNotJSON, path)
	}
	return nil
}

// invalidUTF8 is the offset of the first byte that is not UTF-8, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// duplicateKey walks a payload that is valid JSON, nested no deeper than
// encoding/json allows, and returns the dotted path of the first member
// name that appears twice in one object ("alert.locations[0].type").
func duplicateKey(payload []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	var w keyWalker
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if path, dup := w.step(tok); dup {
			return path, true
		}
	}
}

// keyWalker follows the tokens of a JSON document, keeping for each open
// object the names seen so far.
type keyWalker struct {
	stack []*jsonLevel
}

// jsonLevel is one open object (names is not nil) or array.
type jsonLevel struct {
	path    string
	names   map[string]bool
	name    string // the member whose value is being read
	wantKey bool
	index   int
}

// step takes one token; it reports the path of a name seen twice.
func (w *keyWalker) step(tok json.Token) (string, bool) {
	top := w.top()
	if top != nil && top.names != nil && top.wantKey {
		name, ok := tok.(string)
		if !ok { // the object's closing brace
			w.close()
			return "", false
		}
		if top.names[name] {
			return joinPath(top.path, name), true
		}
		top.names[name], top.name, top.wantKey = true, name, false
		return "", false
	}
	switch tok {
	case json.Delim('{'):
		w.open(&jsonLevel{names: map[string]bool{}, wantKey: true})
	case json.Delim('['):
		w.open(&jsonLevel{})
	case json.Delim(']'):
		w.close()
	default:
		w.valueRead()
	}
	return "", false
}

func (w *keyWalker) top() *jsonLevel {
	if len(w.stack) == 0 {
		return nil
	}
	return w.stack[len(w.stack)-1]
}

// open enters an object or array, the value of the current member or
// element.
func (w *keyWalker) open(l *jsonLevel) {
	if top := w.top(); top != nil {
		l.path = top.childPath()
	}
	w.stack = append(w.stack, l)
}

func (w *keyWalker) close() {
	w.stack = w.stack[:len(w.stack)-1]
	w.valueRead()
}

// valueRead moves past the value of the current member or element.
func (w *keyWalker) valueRead() {
	top := w.top()
	switch {
	case top == nil:
	case top.names != nil:
		top.wantKey = true
	default:
		top.index++
	}
}

func (l *jsonLevel) childPath() string {
	if l.names != nil {
		return joinPath(l.path, l.name)
	}
	return l.path + "[" + strconv.Itoa(l.index) + "]"
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}
