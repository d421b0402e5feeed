package api

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// queryParams reads, from the spec document as JSON, the names of the
// query parameters of every operation, keyed by ServeMux pattern. An
// operation without any has an empty set.
func queryParams(doc []byte) (map[string]map[string]bool, error) {
	var d struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]param `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	out := map[string]map[string]bool{}
	for path, ops := range d.Paths {
		for method, raw := range ops {
			var op struct {
				Parameters []param `json:"parameters"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue // not an operation (a path's own summary)
			}
			names := map[string]bool{}
			for _, p := range op.Parameters {
				if name, ok := strings.CutPrefix(p.Ref,
					"#/components/parameters/"); ok {
					p = d.Components.Parameters[name]
				}
				if p.In == "query" {
					names[p.Name] = true
				}
			}
			out[strings.ToUpper(method)+" "+BasePath+path] = names
		}
	}
	return out, nil
}

// param is a parameter of an operation, or a reference to one.
type param struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

// checkQuery refuses the first query parameter, in name order, that
// known does not list: dropped, a misspelt filter listed everything
// (?principle=alice) and a misspelt resume point (?last_event=41)
// started a revocation stream from now, missing what came before.
func checkQuery(q url.Values, known map[string]bool) *Problem {
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if known[n] && len(q[n]) > 1 {
			// No parameter takes a list: the generated code read the first
			// and dropped the rest, so principal=a&principal=b listed a's
			// sessions only, and limit=1&limit=2 was "not the type it must
			// be".
			return badParam(n, strings.Join(q[n], ", "), fmt.Sprintf(
				"given %d times; it takes one value (for several, make "+
					"one request each)", len(q[n])))
		}
		if known[n] {
			continue
		}
		why := "not a parameter of this request (misspelt?)"
		if len(known) == 0 {
			return badParam(n, q.Get(n), why+"; it takes none")
		}
		list := make([]string, 0, len(known))
		for k := range known {
			list = append(list, k)
		}
		sort.Strings(list)
		return badParam(n, q.Get(n), why+"; the parameters are "+
			strings.Join(list, ", "))
	}
	return nil
}
