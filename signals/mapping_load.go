package signals

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MappingError is a fault in a mapping file, found when it is loaded.
// Its message reads: `mappings.yaml:14: mapping "chronicle":
// subjects[0].type: unknown subject type "mail"`.
type MappingError struct {
	File string
	Line int
	// Mapping is the mapping's name, or mappings[i] when it has none;
	// empty for a fault of the file as a whole.
	Mapping string
	// Field is where in the mapping ("severity.map", "subjects[0].type").
	Field string
	// Problem says what is wrong.
	Problem string
}

func (e *MappingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	if e.Mapping != "" {
		fmt.Fprintf(&b, "mapping %q: ", e.Mapping)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// GenericFormatPrefix starts the Format of every signal a mapping
// decodes: a mapping named chronicle decodes generic:chronicle.
const GenericFormatPrefix = "generic:"

// LoadMappings reads a mapping file, YAML or JSON. See ParseMappings.
func LoadMappings(path string) (*Mappings, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signal mappings: %w", err)
	}
	return ParseMappings(path, b)
}

// ParseMappings compiles the mappings of a file named file. Every fault
// is reported, each a *MappingError naming the file, the line and the
// mapping, joined with errors.Join: an unknown field, a bad path, an
// unknown severity, category, subject type or role, two mappings of
// one name, a match that is empty or tests no field's presence or
// value, a secret field read as text elsewhere, and a match that accepts
// a payload of a format a built-in decoder knows (see the README: such
// a mapping would take that format's malformed alerts, which are
// dead-lettered with their reason).
func ParseMappings(file string, data []byte) (*Mappings, error) {
	l := &mappingLoader{file: file}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, l.syntaxError(err)
	}
	list := l.document(&root)
	if len(l.errs) == 0 {
		l.checkNames(list)
		l.checkOverlap(list)
	}
	if len(l.errs) > 0 {
		slices.SortStableFunc(l.errs, func(a, b *MappingError) int {
			return cmp.Compare(a.Line, b.Line)
		})
		errs := make([]error, len(l.errs))
		for i, e := range l.errs {
			errs[i] = e
		}
		return nil, errors.Join(errs...)
	}
	ms := &Mappings{file: file}
	for _, c := range list {
		ms.list = append(ms.list, c.m)
	}
	return ms, nil
}

// mappingLoader collects the faults of one file.
type mappingLoader struct {
	file string
	errs []*MappingError
}

// compiled is a mapping with the lines its faults are reported at.
type compiled struct {
	m         *mapping
	line      int
	matchLine int
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError reports what the YAML parser said, at its line.
func (l *mappingLoader) syntaxError(err error) error {
	e := &MappingError{File: l.file, Line: 1, Problem: err.Error()}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Problem = m[2]
		if zeroBasedYAMLLine(e.Problem) {
			e.Line++
		}
	}
	return e
}

// zeroBasedYAMLLine reports a YAML parser message whose line yaml.v3
// counts from 0: it names the line where the unclosed collection or the
// tab is, less one ("c: [x" on line 3 is "line 2: did not find expected
// ',' or ']'").
func zeroBasedYAMLLine(problem string) bool {
	return strings.HasPrefix(problem, "did not find expected") ||
		strings.HasPrefix(problem, "found a tab character")
}

// document reads the document: an object whose mappings is a list.
func (l *mappingLoader) document(root *yaml.Node) []compiled {
	if root.Kind == 0 || len(root.Content) == 0 {
		l.errs = append(l.errs, &MappingError{File: l.file, Line: 1,
			Problem: "empty file: give a list under mappings"})
		return nil
	}
	ctx := &mappingCtx{l: l}
	top := ctx.object(root.Content[0], "", "mappings")
	list := top["mappings"]
	if list == nil {
		ctx.fail(root.Content[0], "mappings", "missing")
		return nil
	}
	list = deref(list)
	if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		ctx.fail(list, "mappings", "not a non-empty list of mappings")
		return nil
	}
	var out []compiled
	for i, n := range list.Content {
		if c, ok := l.mapping(i, deref(n)); ok {
			out = append(out, c)
		}
	}
	return out
}

// checkNames reports two mappings of one name.
func (l *mappingLoader) checkNames(list []compiled) {
	first := map[string]int{}
	for _, c := range list {
		if line, seen := first[c.m.name]; seen {
			l.errs = append(l.errs, &MappingError{File: l.file, Line: c.line,
				Mapping: c.m.name, Field: "name", Problem: fmt.Sprintf(
					"a mapping of this name is already defined at line %d",
					line)})
			continue
		}
		first[c.m.name] = c.line
	}
}

// checkOverlap reports a mapping whose match accepts one of the known
// payloads of the built-in formats.
func (l *mappingLoader) checkOverlap(list []compiled) {
	for _, c := range list {
		for _, ref := range referenceDocs() {
			if !c.m.Detect(ref.doc) {
				continue
			}
			l.errs = append(l.errs, &MappingError{File: l.file,
				Line: c.matchLine, Mapping: c.m.name, Field: "match",
				Problem: fmt.Sprintf("accepts the reference payload of "+
					"format %s (%s): it would take %s alerts the "+
					"built-in decoder refuses, which are dead-lettered with "+
					"their reason; add a condition only your payload meets",
					ref.format, ref.name, ref.format)})
			break
		}
	}
}

// mappingCtx reports the faults of one mapping.
type mappingCtx struct {
	l    *mappingLoader
	name string
}

func (c *mappingCtx) fail(n *yaml.Node, field, format string, args ...any) {
	c.l.errs = append(c.l.errs, &MappingError{File: c.l.file, Line: n.Line,
		Mapping: c.name, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// deref follows a YAML alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// object reads a YAML mapping node whose keys must be among allowed,
// reporting each other key at its line; field names the node.
func (c *mappingCtx) object(n *yaml.Node, field string,
	allowed ...string) map[string]*yaml.Node {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		c.fail(n, cmp.Or(field, "file"), "not an object")
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i]
		if _, dup := out[key.Value]; dup {
			c.fail(key, joinField(field, key.Value), "given twice")
			continue
		}
		if !slices.Contains(allowed, key.Value) {
			c.fail(key, joinField(field, key.Value), "unknown field "+
				"(known: %s)", strings.Join(allowed, ", "))
			continue
		}
		out[key.Value] = deref(n.Content[i+1])
	}
	return out
}

func joinField(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// text reads a scalar as a string; quoted or not, a scalar's text is
// what was written.
func (c *mappingCtx) text(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		hint := ""
		if n.Kind == yaml.MappingNode {
			hint = ` (a template must be quoted: "{{id}}")`
		}
		c.fail(n, field, "not a string%s", hint)
		return "", false
	}
	return n.Value, true
}

// path reads a path; [*] only where many allows it.
func (c *mappingCtx) path(n *yaml.Node, field string, many bool) (fieldPath, bool) {
	s, ok := c.text(n, field)
	if !ok {
		return fieldPath{}, false
	}
	p, err := parsePath(s)
	if err != nil {
		c.fail(n, field, "%v", err)
		return p, false
	}
	if !many && p.wildcard() {
		c.fail(n, field, "path %q: [*] names many values; only a "+
			"subject's path may", s)
		return p, false
	}
	return p, true
}

// required reports each of names missing from the object at n, whose
// place is prefix; an object that was not one is reported already.
func (c *mappingCtx) required(fields map[string]*yaml.Node, n *yaml.Node,
	prefix string, names ...string) bool {
	if fields == nil {
		return false
	}
	ok := true
	for _, name := range names {
		if fields[name] == nil {
			c.fail(n, joinField(prefix, name), "missing")
			ok = false
		}
	}
	return ok
}
