package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"sigs.k8s.io/yaml"
)

//go:embed openapi.yaml
var specYAML []byte

// spec is the part of the OpenAPI document the server reads itself: the
// role each operation requires, from its bearerAuth scope.
type spec struct {
	Paths map[string]map[string]struct {
		OperationID string                `json:"operationId"`
		Security    []map[string][]string `json:"security"`
	} `json:"paths"`
}

// loadSpec converts the embedded document to JSON and returns it with
// the role each route requires, keyed by ServeMux pattern
// ("GET /v1/principals/{id}"). An operation that does not name a known
// role itself is an error (the document's default does not count, so
// that a new write cannot inherit viewer): every route is guarded.
func loadSpec() (doc []byte, roles map[string]Role, err error) {
	doc, err = yaml.YAMLToJSON(specYAML)
	if err != nil {
		return nil, nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	var s spec
	if err := json.Unmarshal(doc, &s); err != nil {
		return nil, nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	roles = map[string]Role{}
	for path, ops := range s.Paths {
		for method, op := range ops {
			r, err := requiredRole(op.Security)
			if err != nil {
				return nil, nil, fmt.Errorf("openapi.yaml: %s: %w",
					op.OperationID, err)
			}
			roles[strings.ToUpper(method)+" "+BasePath+path] = r
		}
	}
	return doc, roles, nil
}

// requiredRole is the one role a security requirement names.
func requiredRole(sec []map[string][]string) (Role, error) {
	if len(sec) != 1 || len(sec[0]["bearerAuth"]) != 1 {
		return "", fmt.Errorf("security: want one bearerAuth scope " +
			"naming the role required")
	}
	r := Role(sec[0]["bearerAuth"][0])
	if !r.Valid() {
		return "", fmt.Errorf("security: unknown role %q", r)
	}
	return r, nil
}

// serveSpec answers GET /v1/openapi.json.
func serveSpec(doc []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	}
}
