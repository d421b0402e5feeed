package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// maxBody bounds a request body: every body of the API is a small JSON
// object.
const maxBody = 64 << 10

// fields is what a JSON request body may hold, from its schema in
// openapi.yaml: the properties of an object, each with its own fields
// when it is an object too, or a time (format date-time). A nil *fields
// takes any value.
type fields struct {
	props map[string]*fields
	// time is set for a string of format date-time.
	time bool
}

// bodySchemas reads, from the spec document as JSON, the fields of the
// request body of every route that takes one, keyed by ServeMux pattern.
// A route marked x-raw-body (alerts in any format) reads and bounds its
// body itself.
func bodySchemas(doc []byte) (map[string]*fields, error) {
	var d struct {
		Paths map[string]map[string]struct {
			RawBody     bool `json:"x-raw-body"`
			RequestBody struct {
				Content map[string]struct {
					Schema json.RawMessage `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	out := map[string]*fields{}
	for path, ops := range d.Paths {
		for method, op := range ops {
			s, ok := op.RequestBody.Content["application/json"]
			if !ok || op.RawBody {
				continue
			}
			f, err := schemaFields(s.Schema, d.Components.Schemas, 0)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			out[strings.ToUpper(method)+" "+BasePath+path] = f
		}
	}
	return out, nil
}

// schemaFields is the fields of one schema, its $ref followed; nil for
// a schema that is not an object of listed properties (a map of labels,
// a string).
func schemaFields(raw json.RawMessage, named map[string]json.RawMessage,
	depth int) (*fields, error) {
	var s struct {
		Ref        string                     `json:"$ref"`
		Properties map[string]json.RawMessage `json:"properties"`
		Format     string                     `json:"format"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	if depth > 16 {
		return nil, errors.New("schemas nest too deep")
	}
	if name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/"); ok {
		ref, found := named[name]
		if !found {
			return nil, fmt.Errorf("no schema %s", name)
		}
		return schemaFields(ref, named, depth+1)
	}
	if s.Format == "date-time" {
		return &fields{time: true}, nil
	}
	if s.Properties == nil {
		return nil, nil
	}
	f := &fields{props: map[string]*fields{}}
	for name, p := range s.Properties {
		sub, err := schemaFields(p, named, depth+1)
		if err != nil {
			return nil, err
		}
		f.props[name] = sub
	}
	return f, nil
}

// check names the first key of v (a decoded JSON value at path) that
// its schema does not list, or the first time that is Go's zero time.
func (f *fields) check(v any, path string) error {
	if f != nil && f.time {
		return checkTime(v, path)
	}
	obj, ok := v.(map[string]any)
	if f == nil || !ok {
		return nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sub, known := f.props[k]
		if !known {
			return &FieldError{path + k, "", "not a field of this " +
				"request (misspelt?); the fields are " + f.names()}
		}
		if err := sub.check(obj[k], path+k+"."); err != nil {
			return err
		}
	}
	return nil
}

// checkTime refuses a time that is Go's zero time, in any zone: decoded,
// it cannot be told from a time left out, which means none (a lock until
// lifted, a token that never expires). Other values are left to the
// route's own decoding.
func checkTime(v any, path string) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !t.IsZero() {
		return nil
	}
	return &FieldError{strings.TrimSuffix(path, "."), s, "the zero " +
		"time, which reads as no time at all: leave the field out, or " +
		"give a real time"}
}

// names lists the fields, for an error message.
func (f *fields) names() string {
	ns := make([]string, 0, len(f.props))
	for n := range f.props {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return strings.Join(ns, ", ")
}

// readBody reads the body of a request to pattern, at most maxBody, and
// refuses a field its schema does not list; the body is left for the
// route to read again. Bodies that are not JSON objects are left to the
// route's own decoding, which names what is wrong.
func readBody(r *http.Request, f *fields) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body.Close()
	if err != nil {
		return &FieldError{"body", "", "cut short: " + err.Error()}
	}
	if len(b) > maxBody {
		return &FieldError{"body", "", fmt.Sprintf("larger than %d KiB",
			maxBody>>10)}
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return f.check(v, "")
}
