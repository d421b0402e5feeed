package signals

import (
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The fields of one mapping in a mapping file.
var mappingFields = []string{"name", "match", "time", "severity",
	"category", "type", "summary", "dedup_key", "subjects", "attributes"}

var (
	mappingName   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)
	attributeName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	jsonNumber    = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
)

// reservedAttributes are set by the engine, never by a decoder.
var reservedAttributes = map[string]bool{"time_claimed": true}

// mapping compiles the i-th mapping of the file; ok is false when it
// has a fault (reported).
func (l *mappingLoader) mapping(i int, n *yaml.Node) (compiled, bool) {
	c := &mappingCtx{l: l, name: fmt.Sprintf("mappings[%d]", i)}
	before := len(l.errs)
	m := &mapping{}
	if n.Kind == yaml.MappingNode && c.readName(memberOf(n, "name"), n, m) {
		c.name = m.name
	}
	fields := c.object(n, "", mappingFields...)
	if fields == nil {
		return compiled{}, false
	}
	c.required(fields, n, "", "match", "time", "severity", "category")
	out := compiled{m: m, line: n.Line}
	if f := fields["match"]; f != nil {
		out.matchLine = f.Line
		m.match = c.match(f)
	}
	c.header(fields, m)
	c.texts(fields, m)
	if f := fields["subjects"]; f != nil {
		m.subjects = c.subjects(f)
	} else {
		c.fail(n, "subjects", "missing: an alert this mapping decodes "+
			"would name no one, and no policy acts on no one")
	}
	if f := fields["attributes"]; f != nil {
		m.attributes = c.attributes(f)
	}
	c.checkSecrets(fields, m)
	return out, len(l.errs) == before
}

// memberOf is the value of the first member key of the object n, or nil.
func memberOf(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// readName reads the mapping's name and format.
func (c *mappingCtx) readName(f, n *yaml.Node, m *mapping) bool {
	if f == nil {
		c.fail(n, "name", "missing")
		return false
	}
	s, ok := c.text(f, "name")
	if !ok {
		return false
	}
	if !mappingName.MatchString(s) {
		c.fail(f, "name", "%q: use 1 to 63 lower-case letters, digits, "+
			"'_', '.' or '-', starting with a letter or digit", s)
		return false
	}
	m.name, m.format = s, Format(GenericFormatPrefix+s)
	return true
}

// header reads time, severity and category.
func (c *mappingCtx) header(fields map[string]*yaml.Node, m *mapping) {
	if f := fields["time"]; f != nil {
		m.time = c.timeField(f)
	}
	if f := fields["severity"]; f != nil {
		m.severity = c.wordField(f, "severity", func(s string) bool {
			return Severity(s).Rank() >= 0
		}, "info, low, medium, high, critical")
	}
	if f := fields["category"]; f != nil {
		m.category = c.wordField(f, "category", func(s string) bool {
			return knownCategories[Category(s)]
		}, categoryList())
	}
}

// texts reads the type, summary and dedup key templates.
func (c *mappingCtx) texts(fields map[string]*yaml.Node, m *mapping) {
	for name, t := range map[string]*template{"type": &m.typ,
		"summary": &m.summary, "dedup_key": &m.dedupKey} {
		f := fields[name]
		if f == nil {
			continue
		}
		s, ok := c.text(f, name)
		if !ok {
			continue
		}
		parsed, err := parseTemplate(s)
		if err != nil {
			c.fail(f, name, "%v", err)
			continue
		}
		if name == "dedup_key" && len(parsed.paths()) == 0 {
			c.fail(f, name, "names no field: every alert would share "+
				"one key (leave dedup_key out to key on the whole payload)")
			continue
		}
		*t = parsed
	}
}

func categoryList() string {
	var out []string
	for k := range knownCategories {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// match reads the conditions: path -> {equals | one_of | exists}.
func (c *mappingCtx) match(n *yaml.Node) []condition {
	if n.Kind != yaml.MappingNode {
		c.fail(n, "match", "not an object of path: condition")
		return nil
	}
	var conds []condition
	positive := false
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], deref(n.Content[i+1])
		field := "match." + key.Value
		if seen[key.Value] {
			c.fail(key, field, "given twice")
			continue
		}
		seen[key.Value] = true
		p, ok := c.path(key, field, false)
		if !ok {
			continue
		}
		cond, ok := c.condition(val, field, p)
		if !ok {
			continue
		}
		conds = append(conds, cond)
		positive = positive || cond.exists == nil || *cond.exists
	}
	switch {
	case len(n.Content) == 0:
		c.fail(n, "match", "empty: it would take every payload no "+
			"built-in decoder takes")
	case len(conds)*2 == len(n.Content) && !positive:
		c.fail(n, "match", "only absent fields: it would take almost "+
			"every payload; test a field's value or presence")
	}
	return conds
}

// condition reads one of {equals: v}, {one_of: [v...]}, {exists: bool}.
func (c *mappingCtx) condition(n *yaml.Node, field string,
	p fieldPath) (condition, bool) {
	fields := c.object(n, field, "equals", "one_of", "exists")
	if fields == nil {
		return condition{}, false
	}
	if len(fields) != 1 || len(n.Content) != 2 {
		c.fail(n, field, "give exactly one of equals, one_of, exists")
		return condition{}, false
	}
	cond := condition{path: p}
	switch {
	case fields["exists"] != nil:
		f := fields["exists"]
		var b bool
		if f.Kind != yaml.ScalarNode || f.Tag != "!!bool" || f.Decode(&b) != nil {
			c.fail(f, field+".exists", "not true or false")
			return cond, false
		}
		cond.exists = &b
	case fields["equals"] != nil:
		v, ok := c.scalar(fields["equals"], field+".equals")
		cond.values = []scalar{v}
		return cond, ok
	default:
		return c.oneOf(fields["one_of"], field+".one_of", cond)
	}
	return cond, true
}

func (c *mappingCtx) oneOf(n *yaml.Node, field string,
	cond condition) (condition, bool) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		c.fail(n, field, "not a non-empty list")
		return cond, false
	}
	ok := true
	for i, item := range n.Content {
		v, good := c.scalar(deref(item), fmt.Sprintf("%s[%d]", field, i))
		cond.values = append(cond.values, v)
		ok = ok && good
	}
	return cond, ok
}

// scalar reads a value to compare with, typed as YAML (or JSON) typed
// it: "5" is a string, 5 a number.
func (c *mappingCtx) scalar(n *yaml.Node, field string) (scalar, bool) {
	if n.Kind != yaml.ScalarNode {
		c.fail(n, field, "not a string, number, boolean or null")
		return scalar{}, false
	}
	switch n.Tag {
	case "!!null":
		return scalar{kind: scalarNull}, true
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return scalar{kind: scalarBool, b: b}, true
		}
	case "!!int", "!!float":
		r, ok := new(big.Rat).SetString(n.Value)
		if ok && jsonNumber.MatchString(n.Value) {
			return scalar{kind: scalarNumber, text: n.Value, num: r}, true
		}
		c.fail(n, field, "%q: write a number as JSON does (no 0x, 0o "+
			"or _), or quote it to compare text", n.Value)
		return scalar{}, false
	}
	return scalar{kind: scalarString, text: n.Value}, true
}

// timeField reads `time: PATH` or `time: {path, layout}`.
func (c *mappingCtx) timeField(n *yaml.Node) timeField {
	tf := timeField{layout: layoutRFC3339}
	pathNode := n
	if n.Kind == yaml.MappingNode {
		fields := c.object(n, "time", "path", "layout")
		if !c.required(fields, n, "time", "path") {
			return tf
		}
		pathNode = fields["path"]
		if l := fields["layout"]; l != nil {
			tf.layout = l.Value
			layouts := []string{layoutRFC3339, layoutUnixSeconds,
				layoutUnixMillis}
			if !slices.Contains(layouts, l.Value) {
				c.fail(l, "time.layout", "unknown layout %q (known: %s)",
					l.Value, strings.Join(layouts, ", "))
			}
		}
	}
	tf.path, _ = c.path(pathNode, "time.path", false)
	return tf
}

// wordField reads a constant word, or {path, map, default}.
func (c *mappingCtx) wordField(n *yaml.Node, name string,
	known func(string) bool, knownText string) wordField {
	w := wordField{name: name}
	check := func(v *yaml.Node, field string) string {
		if v.Kind != yaml.ScalarNode || !known(v.Value) {
			c.fail(v, field, "unknown %s %q (known: %s)", name, v.Value,
				knownText)
			return ""
		}
		return v.Value
	}
	if n.Kind == yaml.ScalarNode {
		w.constant = check(n, name)
		return w
	}
	fields := c.object(n, name, "path", "map", "default")
	if !c.required(fields, n, name, "path", "map") {
		return w
	}
	w.path, _ = c.path(fields["path"], name+".path", false)
	if d := fields["default"]; d != nil {
		w.def = check(d, name+".default")
	}
	w.words = c.wordMap(fields["map"], name, check)
	return w
}

// wordMap reads the source's words (or numbers) to ours; two words that
// differ only in case or surrounding space are one word twice.
func (c *mappingCtx) wordMap(n *yaml.Node, name string,
	check func(*yaml.Node, string) string) map[string]string {
	field := name + ".map"
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		c.fail(n, field, "not a non-empty object of source word: %s", name)
		return nil
	}
	words := map[string]string{}
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], deref(n.Content[i+1])
		word := normalWord(key.Value)
		if line, dup := lines[word]; dup {
			c.fail(key, field, "%q is given twice (line %d); words are "+
				"compared trimmed and ignoring case", key.Value, line)
			continue
		}
		lines[word] = key.Line
		words[word] = check(val, field+"."+key.Value)
	}
	return words
}

// subjects reads [{path, type, role}].
func (c *mappingCtx) subjects(n *yaml.Node) []subjectField {
	items := c.list(n, "subjects")
	if n.Kind == yaml.SequenceNode && len(items) == 0 {
		c.fail(n, "subjects", "empty: an alert this mapping decodes "+
			"would name no one, and no policy acts on no one")
	}
	var out []subjectField
	for i, item := range items {
		field := fmt.Sprintf("subjects[%d]", i)
		fields := c.object(item, field, "path", "type", "role", "secret")
		if !c.required(fields, item, field, "path", "type", "role") {
			continue
		}
		p, ok := c.path(fields["path"], field+".path", true)
		sf := subjectField{path: p, typ: SubjectType(fields["type"].Value),
			role: Role(fields["role"].Value)}
		ok = c.secretSubject(fields["secret"], field, &sf) && ok
		if !knownSubjectTypes[sf.typ] && sf.typ != subjectLogin {
			c.fail(fields["type"], field+".type", "unknown subject type "+
				"%q (known: %s)", sf.typ, subjectTypeList())
			ok = false
		}
		if !knownRoles[sf.role] {
			c.fail(fields["role"], field+".role", "unknown role %q "+
				"(known: actor, target, credential, source, location)", sf.role)
			ok = false
		}
		if ok {
			out = append(out, sf)
		}
	}
	return out
}

// secretSubject reads a subject's secret flag: its value is a raw secret,
// named by its fingerprint, so its type must be secret_hash.
func (c *mappingCtx) secretSubject(n *yaml.Node, field string,
	sf *subjectField) bool {
	if n == nil {
		return true
	}
	if n.Tag != "!!bool" || n.Decode(&sf.secret) != nil {
		c.fail(n, field+".secret", "not true or false")
		return false
	}
	if sf.secret && sf.typ != SubjectSecretHash {
		c.fail(n, field+".secret", "a secret is named by its fingerprint: "+
			"give type %s", SubjectSecretHash)
		return false
	}
	return true
}

func subjectTypeList() string {
	out := []string{string(subjectLogin)}
	for k := range knownSubjectTypes {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// attributes reads [{path, name, secret}].
func (c *mappingCtx) attributes(n *yaml.Node) []attributeField {
	items := c.list(n, "attributes")
	var out []attributeField
	lines := map[string]int{}
	for i, item := range items {
		field := fmt.Sprintf("attributes[%d]", i)
		fields := c.object(item, field, "path", "name", "secret")
		if !c.required(fields, item, field, "path", "name") {
			continue
		}
		p, ok := c.path(fields["path"], field+".path", false)
		af := attributeField{path: p, name: fields["name"].Value}
		ok = c.attributeName(fields["name"], field+".name", af.name, lines) && ok
		if s := fields["secret"]; s != nil {
			if s.Tag != "!!bool" || s.Decode(&af.secret) != nil {
				c.fail(s, field+".secret", "not true or false")
				ok = false
			}
		}
		if ok {
			out = append(out, af)
		}
	}
	return out
}

func (c *mappingCtx) attributeName(n *yaml.Node, field, name string,
	lines map[string]int) bool {
	switch line, dup := lines[name]; {
	case !attributeName.MatchString(name):
		c.fail(n, field, "%q: use lower-case letters, digits and '_', "+
			"starting with a letter", name)
	case reservedAttributes[name]:
		c.fail(n, field, "%q is set by the engine", name)
	case dup:
		c.fail(n, field, "%q is already given at line %d", name, line)
	default:
		lines[name] = n.Line
		return true
	}
	return false
}

func (c *mappingCtx) list(n *yaml.Node, field string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		c.fail(n, field, "not a list")
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, item := range n.Content {
		out[i] = deref(item)
	}
	return out
}

// checkSecrets reports a field declared secret that the mapping also
// reads, however the path is written: a template would write the secret
// into the type, summary or dedup key, a subject into the registry's
// lookups, an attribute into the signal, and a time, severity or
// category that does not read quotes the value in its error, which goes
// to the dead-letter topic, the audit and the sender. Paths are compared
// as the fields they reach (["token"] is token, [*] any element), and a
// path that reaches into or holds a secret reads it too (a subject of
// an array names each element).
func (c *mappingCtx) checkSecrets(fields map[string]*yaml.Node, m *mapping) {
	var secret []fieldPath
	for _, a := range m.attributes {
		if a.secret {
			secret = append(secret, a.path)
		}
	}
	for _, s := range m.subjects {
		if s.secret {
			secret = append(secret, s.path)
		}
	}
	if len(secret) == 0 {
		return
	}
	uses := secretUses(m)
	for _, name := range slices.Sorted(maps.Keys(uses)) {
		for _, p := range uses[name] {
			for _, sp := range secret {
				if !p.overlaps(sp) {
					continue
				}
				as := ""
				if sp.text != p.text {
					as = fmt.Sprintf(" (as %q)", sp.text)
				}
				c.fail(fields[name], name, "reads %q, which is declared "+
					"secret%s: it would be copied, not fingerprinted",
					p.text, as)
				break
			}
		}
	}
}

// secretUses are the paths the mapping reads other than as a secret, by
// the mapping's field that reads them.
func secretUses(m *mapping) map[string][]fieldPath {
	uses := map[string][]fieldPath{"type": m.typ.paths(),
		"summary": m.summary.paths(), "dedup_key": m.dedupKey.paths()}
	for name, p := range map[string]fieldPath{"time": m.time.path,
		"severity": m.severity.path, "category": m.category.path} {
		if p.steps != nil {
			uses[name] = append(uses[name], p)
		}
	}
	for _, s := range m.subjects {
		if !s.secret {
			uses["subjects"] = append(uses["subjects"], s.path)
		}
	}
	for _, a := range m.attributes {
		if !a.secret {
			uses["attributes"] = append(uses["attributes"], a.path)
		}
	}
	return uses
}
