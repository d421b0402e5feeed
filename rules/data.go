package rules

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/util"
	"sigs.k8s.io/yaml"
)

// Data documents are the files named data.json, data.yaml or data.yml
// in a policy directory or bundle. As in an OPA bundle, the directory a
// data file sits in is its path below data: a/b/data.json is data.a.b,
// and a data.json at the root is data itself, so the shipped
// policies/data.json holds {"killswitch": {...}} and the policies read
// data.killswitch.thresholds and so on.

// IsDataFile reports whether name is a data document.
func IsDataFile(name string) bool {
	switch path.Base(name) {
	case "data.json", "data.yaml", "data.yml":
		return true
	}
	return false
}

// buildData parses every data file and merges them into one document.
// Two files that set the same leaf are an error naming both.
func buildData(files []policyFile) (map[string]any, error) {
	doc := map[string]any{}
	owner := map[string]string{}
	for _, f := range files {
		v, err := parseData(f)
		if err != nil {
			return nil, err
		}
		at := dataPath(f.name)
		if err := mergeAt(doc, at, v, f, owner); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// parseData reads a JSON or YAML data file into an object whose numbers
// are json.Number, as OPA's own loader does.
func parseData(f policyFile) (map[string]any, error) {
	src := f.src
	isJSON := strings.HasSuffix(f.name, ".json")
	if !isJSON {
		j, err := yaml.YAMLToJSON(src)
		if err != nil {
			e := dataError(f.name, "not valid YAML: %v", err)
			e.Row = yamlRow(err)
			return nil, e
		}
		src = j
	}
	var v any
	trimmed := bytes.TrimSpace(src)
	if err := util.UnmarshalJSON(trimmed, &v); err != nil {
		e := dataError(f.name, "not valid JSON: %v", err)
		if isJSON {
			lead := len(src) - len(bytes.TrimLeft(src, " \t\r\n"))
			e.Row = jsonRow(src, lead, err)
		}
		return nil, e
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, dataError(f.name, "want an object at the top, got %s",
			jsonType(v))
	}
	return obj, nil
}

// dataPath is the keys below data where the file's document goes.
func dataPath(name string) []string {
	dir := path.Dir(name)
	if dir == "." {
		return nil
	}
	return strings.Split(dir, "/")
}

// mergeAt merges v into doc at the keys at. owner remembers which file set
// each leaf, by its dotted path, to name both files of a conflict.
func mergeAt(doc map[string]any, at []string, v map[string]any,
	f policyFile, owner map[string]string) error {
	for _, k := range at {
		next, ok := doc[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			doc[k] = next
		}
		doc = next
	}
	err := mergeObject(doc, v, strings.Join(at, "."), f.name, owner)
	var conflict *conflictError
	if !errors.As(err, &conflict) {
		return err
	}
	pe := conflict.PolicyError
	pe.Row = keyRow(f.src, strings.Split(conflict.path, ".")[len(at):])
	return pe
}

// conflictError is a data leaf two files set, at its dotted path below
// data: mergeAt makes it the *PolicyError, with the line.
type conflictError struct {
	*PolicyError
	path string
}

func mergeObject(dst, src map[string]any, prefix, file string,
	owner map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(src)) {
		p := strings.TrimPrefix(prefix+"."+k, ".")
		sub, isObj := src[k].(map[string]any)
		have, exists := dst[k]
		haveObj, haveIsObj := have.(map[string]any)
		switch {
		case exists && isObj && haveIsObj:
			if err := mergeObject(haveObj, sub, p, file, owner); err != nil {
				return err
			}
		case exists:
			return &conflictError{path: p, PolicyError: dataError(file,
				"data.%s is set by %s too", p, ownerOf(owner, p))}
		default:
			dst[k] = src[k]
			owner[p] = file
		}
	}
	return nil
}

// ownerOf finds the file that set the path p or an object above it.
func ownerOf(owner map[string]string, p string) string {
	for ; p != ""; p = p[:max(strings.LastIndex(p, "."), 0)] {
		if f, ok := owner[p]; ok {
			return f
		}
	}
	return "another file"
}

func dataError(file, format string, args ...any) *PolicyError {
	return &PolicyError{Code: CodeCompile, File: file,
		Message: fmt.Sprintf(format, args...)}
}

// modesPath is where a policy set declares its rules' modes:
// data.killswitch.modes, an object of rule name to "enforce" or
// "monitor".
var modesPath = []string{"killswitch", "modes"}

// readModes checks and returns data.killswitch.modes. file names the
// data file that set it, for errors.
func readModes(doc map[string]any, files []policyFile) (map[string]string, error) {
	v, ok := lookupData(doc, modesPath)
	if !ok {
		return nil, nil
	}
	file := modesFile(files)
	obj, ok := v.(map[string]any)
	if !ok {
		e := dataError(file.name, "data.killswitch.modes: want an object "+
			"of rule name to mode, got %s", jsonType(v))
		e.Row = rowIn(file, modesPath)
		return nil, e
	}
	modes := make(map[string]string, len(obj))
	for _, rule := range slices.Sorted(maps.Keys(obj)) {
		m, _ := obj[rule].(string)
		if m != ModeEnforce && m != ModeMonitor {
			e := dataError(file.name, "data.killswitch.modes.%s: %s is "+
				"not a mode (want %q or %q)", rule, describe(obj[rule]),
				ModeEnforce, ModeMonitor)
			e.Row = rowIn(file, append(slices.Clone(modesPath), rule))
			return nil, e
		}
		modes[rule] = m
	}
	return modes, nil
}

func describe(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return "a " + jsonType(v)
}

func lookupData(doc map[string]any, keys []string) (any, bool) {
	var v any = doc
	for _, k := range keys {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// modesFile guesses the data file that declares the modes: the first
// that mentions them.
func modesFile(files []policyFile) policyFile {
	for _, f := range files {
		if bytes.Contains(f.src, []byte("modes")) {
			return f
		}
	}
	return policyFile{}
}

// rowIn is the line of f that sets the data at keys (from data's top),
// 0 when f does not.
func rowIn(f policyFile, keys []string) int {
	at := dataPath(f.name)
	if len(at) > len(keys) || !slices.Equal(at, keys[:len(at)]) {
		return 0
	}
	return keyRow(f.src, keys[len(at):])
}
