// Package configdoc reads run's config file (--config) for each of the
// readers of its sections (connectors, console, guardrails, sweeps), so
// that all of them refuse the same documents alike.
package configdoc

import (
	"fmt"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// ToJSON is the YAML (or JSON) document data as JSON. A key given twice
// in one mapping is an error naming its line and the key: the last
// value would be read silently, and a second grants, jobs or
// connectors list would replace the first. So are two keys that differ
// only in case (grants, Grants), which the sections' decoders read as
// one. The error is on one line.
func ToJSON(data []byte) ([]byte, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, oneLine{err}
	}
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(data, &doc); err != nil {
		return nil, oneLine{err}
	}
	if err := foldedTwice(&doc); err != nil {
		return nil, err
	}
	return js, nil
}

// foldedTwice is an error naming the first mapping under n holding two
// keys equal but for case, which encoding/json reads into one field.
func foldedTwice(n *yamlv3.Node) error {
	if n.Kind == yamlv3.MappingNode {
		seen := map[string]*yamlv3.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			folded := strings.ToLower(k.Value)
			if first, ok := seen[folded]; ok {
				return fmt.Errorf("line %d: key %q: it and %q of line %d "+
					"differ only in case, and are read as one key",
					k.Line, k.Value, first.Value, first.Line)
			}
			seen[folded] = k
		}
	}
	for _, c := range n.Content {
		if err := foldedTwice(c); err != nil {
			return err
		}
	}
	return nil
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
