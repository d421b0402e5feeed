package inventory

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// secretFields are field names that would hold a secret itself.
var secretFields = map[string]bool{"secret": true, "token": true,
	"password": true, "value": true, "private_key": true,
	"client_secret": true, "secret_key": true, "api_key": true}

// checkFields reports every field of the document that File has no
// place for, naming where it is. A field named like a secret gets its
// own message; no message repeats a value. Documents that do not decode
// are left to strict decoding to report.
func checkFields(data []byte, name string) error {
	var doc any
	if yaml.Unmarshal(data, &doc) != nil {
		return nil
	}
	var errs []error
	unknownFields("", doc, reflect.TypeFor[File](), func(at, key string) {
		msg := "unknown field"
		if secretFields[key] {
			msg = "a raw secret is not accepted; give its fingerprint " +
				"(sha256:<hex>) instead"
		}
		errs = append(errs, fmt.Errorf("%s: %s: %s", name, at, msg))
	})
	return errors.Join(errs...)
}

// unknownFields walks v, decoded from the document at place at, against
// the type t it decodes into, and reports each key t does not have.
func unknownFields(at string, v any, t reflect.Type, report func(at, key string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, _ := v.(map[string]any)
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			place := strings.TrimPrefix(at+"."+k, ".")
			if ft, ok := fields[k]; ok {
				unknownFields(place, m[k], ft, report)
			} else {
				report(place, k)
			}
		}
	case reflect.Slice:
		items, _ := v.([]any)
		for i, item := range items {
			unknownFields(fmt.Sprintf("%s[%d]", at, i), item, t.Elem(), report)
		}
	}
}

// jsonFields maps the JSON names of t's exported fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	return fields
}
