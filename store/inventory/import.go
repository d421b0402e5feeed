package inventory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// Counts is how many records an import wrote, and how many of the
// file's it left as the registry holds them.
type Counts struct {
	Principals  int
	Aliases     int
	Sessions    int
	Credentials int
	Locks       int
	// KeptSessions and KeptCredentials are the file's sessions and
	// credentials the registry holds revoked, left revoked although the
	// file says otherwise.
	KeptSessions    int
	KeptCredentials int
}

// String reads like "2 principals, 5 aliases, 3 credentials, 4
// sessions"; locks are mentioned when there are some, and kept records
// after a semicolon ("; kept as the registry holds them: 1 revoked
// session").
func (c Counts) String() string {
	parts := []string{plural(c.Principals, "principal"),
		plural(c.Aliases, "alias"), plural(c.Credentials, "credential"),
		plural(c.Sessions, "session")}
	if c.Locks > 0 {
		parts = append(parts, plural(c.Locks, "lock"))
	}
	s := strings.Join(parts, ", ")
	var kept []string
	if c.KeptCredentials > 0 {
		kept = append(kept, plural(c.KeptCredentials, "revoked credential"))
	}
	if c.KeptSessions > 0 {
		kept = append(kept, plural(c.KeptSessions, "revoked session"))
	}
	if len(kept) > 0 {
		s += "; kept as the registry holds them: " + strings.Join(kept, ", ")
	}
	return s
}

// plural is n and word, in the plural unless n is 1.
func plural(n int, word string) string {
	switch {
	case n == 1:
		return "1 " + word
	case strings.HasSuffix(word, "s"):
		return fmt.Sprintf("%d %ses", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// LockWriter is what Import needs to place the file's locks; every
// store.Store is one.
type LockWriter interface {
	PutLock(ctx context.Context, l store.Lock) error
}

// Import writes the file into inv, relative times counted from now:
// principals first, then credentials, aliases, sessions and, when inv
// can place them (see LockWriter), locks. Records with the same id are
// replaced, so importing a file twice changes nothing, except for what
// the registry learnt that the file cannot know: a revoked session or
// credential stays revoked, and a status, a creation time or an
// exposure the file leaves out is kept (see merger). The file is
// checked again before anything is written; a store error stops the
// import and Counts says what was written before it.
func (f *File) Import(ctx context.Context, inv store.Inventory,
	now time.Time) (Counts, error) {
	b, err := f.build(store.NormalizeTime(now))
	if err != nil {
		return Counts{}, err
	}
	if len(b.locks) > 0 {
		if _, ok := inv.(LockWriter); !ok {
			return Counts{}, fmt.Errorf("import %s: %d locks, and the "+
				"store cannot place locks", f.name, len(b.locks))
		}
	}
	return b.write(ctx, inv)
}

// write puts the batch's records in order.
func (b *batch) write(ctx context.Context, inv store.Inventory) (Counts, error) {
	var n Counts
	m := merger{ctx: ctx, inv: inv, now: b.now, n: &n}
	err := each(b.principals, &n.Principals, m.principal)
	if err == nil {
		err = each(b.credentials, &n.Credentials, m.credential)
	}
	if err == nil {
		err = each(b.aliases, &n.Aliases, written(func(a store.Alias) error {
			return inv.PutAlias(ctx, a)
		}))
	}
	if err == nil {
		err = each(b.sessions, &n.Sessions, m.session)
	}
	if lw, ok := inv.(LockWriter); ok && err == nil {
		err = each(b.locks, &n.Locks, written(func(l store.Lock) error {
			return lw.PutLock(ctx, l)
		}))
	}
	return n, err
}

// each calls put for every record, counting those it imported, and
// stops at the first error.
func each[T any](records []T, count *int, put func(T) (bool, error)) error {
	for _, r := range records {
		ok, err := put(r)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if ok {
			*count++
		}
	}
	return nil
}

// written is put for each: every record it writes is imported.
func written[T any](put func(T) error) func(T) (bool, error) {
	return func(r T) (bool, error) { return true, put(r) }
}
