package rules

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestInputSchemaDescribesTheJSON fills every field of an Input, marshals
// it, and checks each value against the schema the compiler is given: the
// schema must accept every input the engine can send.
func TestInputSchemaDescribesTheJSON(t *testing.T) {
	var in Input
	fill(reflect.ValueOf(&in).Elem())
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, problem := range conform("input", doc, schemaOf(reflect.TypeFor[Input]())) {
		t.Error(problem)
	}
}

// fill sets every field, element and map entry to a value that is not
// zero, so that no omitempty field is left out.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		elem := reflect.New(v.Type().Elem()).Elem()
		if elem.Kind() == reflect.Interface {
			elem.Set(reflect.ValueOf("v"))
		} else {
			fill(elem)
		}
		v.SetMapIndex(reflect.ValueOf("k"), elem)
	case reflect.Struct:
		fillStruct(v)
	}
}

func fillStruct(v reflect.Value) {
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)))
		return
	}
	for i := range v.NumField() {
		if v.Type().Field(i).IsExported() {
			fill(v.Field(i))
		}
	}
}

// conform lists where doc breaks the schema subset schemaOf writes.
func conform(path string, doc any, schema map[string]any) []string {
	want, _ := schema["type"].(string)
	got := map[string]string{"map[string]interface {}": "object",
		"[]interface {}": "array", "string": "string", "bool": "boolean",
		"float64": "number"}[fmt.Sprintf("%T", doc)]
	if want != "" && got != want {
		return []string{fmt.Sprintf("%s: schema says %s, JSON has %s", path, want, got)}
	}
	var problems []string
	switch doc := doc.(type) {
	case []any:
		for i, e := range doc {
			items, _ := schema["items"].(map[string]any)
			problems = append(problems, conform(fmt.Sprintf("%s[%d]", path, i), e, items)...)
		}
	case map[string]any:
		for k, v := range doc {
			problems = append(problems, conformMember(path+"."+k, k, v, schema)...)
		}
	}
	return problems
}

func conformMember(path, key string, v any, schema map[string]any) []string {
	if props, ok := schema["properties"].(map[string]any); ok {
		if prop, ok := props[key].(map[string]any); ok {
			return conform(path, v, prop)
		}
	}
	switch extra := schema["additionalProperties"].(type) {
	case map[string]any:
		return conform(path, v, extra)
	case bool:
		if !extra {
			return []string{path + ": not in the schema"}
		}
	}
	return nil
}
