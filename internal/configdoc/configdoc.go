// Package configdoc reads run's config file (--config) for each of the
// readers of its sections (connectors, console, guardrails, sweeps), so
// that all of them refuse the same documents alike.
package configdoc

import (
	"strings"

	"sigs.k8s.io/yaml"
)

// ToJSON is the YAML (or JSON) document data as JSON. A key given twice
// in one mapping is an error naming its line and the key: the last
// value would be read silently, and a second grants, jobs or
// connectors list would replace the first. The error is on one line.
func ToJSON(data []byte) ([]byte, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, oneLine{err}
	}
	return js, nil
}

// oneLine is a parser error whose lines (yaml.v2 lists one error a
// line) are joined with "; ".
type oneLine struct{ err error }

func (e oneLine) Error() string {
	lines := strings.Split(e.err.Error(), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

func (e oneLine) Unwrap() error { return e.err }
