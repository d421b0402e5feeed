package sqlstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
)

// RefuseNewer refuses a registry whose applied migrations hold one that
// p does not know: a newer killswitch migrated it, and this one would
// read and write it as if its schema were its own, whatever that
// migration changed. A new registry holds none.
func RefuseNewer(p *goose.Provider, applied []int64) error {
	known := map[int64]bool{}
	var newest int64
	for _, src := range p.ListSources() {
		known[src.Version] = true
		newest = max(newest, src.Version)
	}
	var unknown []string
	for _, v := range applied {
		if !known[v] {
			unknown = append(unknown, strconv.FormatInt(v, 10))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return &NewerError{unknown: unknown, newest: newest}
}

// NewerError: the registry holds migrations this binary does not know.
type NewerError struct {
	unknown []string
	newest  int64
}

func (e *NewerError) Error() string {
	return fmt.Sprintf("the registry was migrated by a newer killswitch: "+
		"migration %s is not known to this one, which knows up to %d; "+
		"run that version or a later one", strings.Join(e.unknown, ", "),
		e.newest)
}
