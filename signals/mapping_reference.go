package signals

import (
	"embed"
	"path"
	"strings"
	"sync"
)

// reference holds one payload of each format a built-in decoder knows
// (two of Microsoft Graph's), for the mapping loader's overlap check: a
// mapping whose match accepts one of them is refused. A test checks that
// every decoder has one, and that each is decoded by its own.
//
//go:embed reference/*.json
var reference embed.FS

// referenceDoc is one parsed reference payload.
type referenceDoc struct {
	name   string
	format Format
	doc    map[string]any
}

// referenceDocs parses the reference payloads once.
var referenceDocs = sync.OnceValue(func() []referenceDoc {
	entries, err := reference.ReadDir("reference")
	if err != nil {
		panic("signals: embedded reference payloads: " + err.Error())
	}
	out := make([]referenceDoc, 0, len(entries))
	for _, e := range entries {
		b, err := reference.ReadFile(path.Join("reference", e.Name()))
		if err != nil {
			panic("signals: embedded reference payloads: " + err.Error())
		}
		doc, err := parseObject(b)
		if err != nil {
			panic("signals: reference/" + e.Name() + ": " + err.Error())
		}
		name := strings.TrimSuffix(e.Name(), ".json")
		format, _, _ := strings.Cut(name, "-")
		out = append(out, referenceDoc{name: "reference/" + e.Name(),
			format: Format(format), doc: doc})
	}
	return out
})
