package connectors

import "fmt"

// Alias returns the value of the first of the principal's aliases whose
// type is one of types, trying types in order, and whether one was found.
// Connectors use it to find the principal's id in their provider.
func (r Request) Alias(types ...string) (string, bool) {
	for _, t := range types {
		for _, a := range r.Aliases {
			if a.Type == t && a.Value != "" {
				return a.Value, true
			}
		}
	}
	return "", false
}

// Unsupportedf is an Unsupported result with a reason.
func Unsupportedf(format string, args ...any) Result {
	return Result{Outcome: Unsupported, Err: fmt.Errorf(format, args...)}
}
