package signals

import (
	"encoding/json"
	"fmt"
)

// A decoder's Detect keys on a few fields. When one of them is missing or
// of the wrong type, no decoder accepts the payload, and "no decoder
// recognises this payload" alone would leave the responder to guess which
// field was wrong. Each decoder therefore lists the fields it keys on as
// markers; when every marker of a decoder but one holds, that decoder is
// near, and the error names the one that does not. Markers only explain:
// Detect alone decides.

// marker is one field a decoder keys on and what it must be.
type marker struct {
	path string
	// problem says what is wrong when the field is there but fails ok.
	problem string
	ok      func(any) bool
}

// nearMisser is a decoder that lists its markers. doc is the document
// the markers are read from (an EventBridge envelope's detail, say).
type nearMisser interface {
	markers(doc map[string]any) (map[string]any, []marker)
}

func stringMarker(path string) marker {
	return marker{path: path, problem: "not a string", ok: func(v any) bool {
		s, ok := v.(string)
		return ok && s != ""
	}}
}

func textMarker(path string) marker {
	return marker{path: path, problem: "not a string or number",
		ok: func(v any) bool {
			switch v := v.(type) {
			case string:
				return v != ""
			case json.Number:
				return true
			}
			return false
		}}
}

func numberMarker(path string) marker {
	return marker{path: path, problem: "not a number", ok: func(v any) bool {
		_, ok := v.(json.Number)
		return ok
	}}
}

func objectMarker(path string) marker {
	return marker{path: path, problem: "not an object", ok: func(v any) bool {
		_, ok := v.(map[string]any)
		return ok
	}}
}

func presentMarker(path string) marker {
	return marker{path: path, ok: func(any) bool { return true }}
}

// nearMiss returns the error of the nearest decoder, or nil when no
// decoder is near. Of two near decoders, the one with more markers wins,
// then the first in the wiring.
func nearMiss(doc map[string]any) *FieldError {
	var best *FieldError
	bestHeld := 0
	for _, d := range wiring {
		nm, ok := d.(nearMisser)
		if !ok {
			continue
		}
		held, err := missedMarker(d.Format(), nm, doc)
		if err != nil && held > bestHeld {
			best, bestHeld = err, held
		}
	}
	return best
}

// missedMarker checks a decoder's markers. It returns how many held and,
// when exactly one of at least two failed, the error naming it.
func missedMarker(f Format, nm nearMisser, doc map[string]any) (int, *FieldError) {
	doc, ms := nm.markers(doc)
	var missed *FieldError
	held := 0
	for _, m := range ms {
		v, _ := lookup(doc, m.path)
		switch {
		case v != nil && m.ok(v):
			held++
		case missed != nil:
			return 0, nil
		case v == nil:
			missed = fieldErr(f, m.path, "missing", nil)
		default:
			missed = fieldErr(f, m.path, m.problem, nil)
		}
	}
	if len(ms) < 2 || missed == nil {
		return 0, nil
	}
	return held, missed
}

// nearMissError is ErrUnknownFormat naming the field that kept the
// nearest decoder from accepting the document. Both errors.Is
// ErrUnknownFormat and errors.As *FieldError hold for it.
func nearMissError(fe *FieldError) error {
	return fmt.Errorf("%w (nearest: %w)", ErrUnknownFormat, fe)
}
