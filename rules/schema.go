package rules

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// inputSchemaSet holds the JSON schema of Input, derived once from its
// JSON tags. With it the compiler's type checker rejects a policy that
// reads a field the input does not have (input.signal.categori) or
// compares a field with a value of another type, instead of the rule
// silently never matching.
var inputSchemaSet = sync.OnceValue(func() *ast.SchemaSet {
	ss := ast.NewSchemaSet()
	ss.Put(ast.SchemaRootRef, schemaOf(reflect.TypeFor[Input]()))
	return ss
})

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
)

// schemaOf describes how encoding/json renders a value of type t. Every
// property is optional: omitempty fields may be absent.
func schemaOf(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string"}
	case t.Implements(marshalerType):
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32,
		reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16,
		reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return mapSchema(t)
	case reflect.Struct:
		props := map[string]any{}
		addFields(t, props)
		return map[string]any{"type": "object", "properties": props,
			"additionalProperties": false}
	}
	return map[string]any{}
}

// mapSchema is an object with any keys; their values are typed unless
// the map holds anything (a signal's attributes).
func mapSchema(t reflect.Type) map[string]any {
	if t.Elem().Kind() == reflect.Interface {
		return map[string]any{"type": "object"}
	}
	return map[string]any{"type": "object",
		"additionalProperties": schemaOf(t.Elem())}
}

// addFields adds t's JSON properties to props, promoting the fields of
// embedded structs as encoding/json does.
func addFields(t reflect.Type, props map[string]any) {
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported() && !f.Anonymous:
			continue
		case f.Anonymous && name == "":
			addFields(derefType(f.Type), props)
			continue
		case name == "":
			name = f.Name
		}
		props[name] = schemaOf(f.Type)
	}
}

func derefType(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}
