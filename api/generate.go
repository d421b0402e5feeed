package api

// openapi.gen.go is generated from openapi.yaml, then its long lines are
// wrapped (golines) as STYLE.md asks of the code we write; what golines
// cannot break (a func literal's signature, a struct tag) stays long.
//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi.yaml
//go:generate go tool golines -m 100 --no-ignore-generated --shorten-comments -w openapi.gen.go
