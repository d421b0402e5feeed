package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// A data file's faults name the line they are on, as a policy's do: a
// broken data.json dropped into a watched directory was refused naming
// the file only ("not valid JSON: unexpected EOF"), and in a file of
// hundreds of lines that is no help.

// jsonRow is the line of src (whose first lead bytes were trimmed
// before parsing) at which err, a JSON decoder's error, was found; 0
// when err says nowhere. A file cut short is at fault on its last line.
func jsonRow(src []byte, lead int, err error) int {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return rowAt(src, lead+int(syn.Offset))
	case errors.As(err, &typ):
		return rowAt(src, lead+int(typ.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return rowAt(src, len(bytes.TrimRight(src, " \t\r\n")))
	}
	return 0
}

// rowAt is the 1-based line of the byte at offset in src.
func rowAt(src []byte, offset int) int {
	offset = min(max(offset, 0), len(src))
	return bytes.Count(src[:offset], []byte("\n")) + 1
}

// yamlLine finds the line a YAML parser's error names.
var yamlLine = regexp.MustCompile(`\bline (\d+)\b`)

// yamlRow is the line a YAML parser's error names, 0 when it names none.
func yamlRow(err error) int {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// keyRow is the line of src, a JSON or YAML data document, that sets
// the member keys (from the document's top), 0 when it is not found.
func keyRow(src []byte, keys []string) int {
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	n := doc.Content[0]
	row := 0
	for _, k := range keys {
		key, val := member(n, k)
		if key == nil {
			return row
		}
		row, n = key.Line, val
	}
	return row
}

// member is the key and value nodes of the member k of the mapping n.
func member(n *yaml.Node, k string) (*yaml.Node, *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}
