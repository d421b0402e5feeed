package inventory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// Counts is how many records an import wrote.
type Counts struct {
	Principals  int
	Aliases     int
	Sessions    int
	Credentials int
	Locks       int
}

// String reads like "2 principals, 5 aliases, 3 credentials, 4
// sessions"; locks are mentioned when there are some.
func (c Counts) String() string {
	parts := []string{plural(c.Principals, "principal"),
		plural(c.Aliases, "alias"), plural(c.Credentials, "credential"),
		plural(c.Sessions, "session")}
	if c.Locks > 0 {
		parts = append(parts, plural(c.Locks, "lock"))
	}
	return strings.Join(parts, ", ")
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
// replaced, so importing a file twice changes nothing. The file is
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
	err := each(b.principals, &n.Principals, func(p store.Principal) error {
		return inv.PutPrincipal(ctx, p)
	})
	if err == nil {
		err = each(b.credentials, &n.Credentials,
			func(c store.Credential) error { return inv.PutCredential(ctx, c) })
	}
	if err == nil {
		err = each(b.aliases, &n.Aliases,
			func(a store.Alias) error { return inv.PutAlias(ctx, a) })
	}
	if err == nil {
		err = each(b.sessions, &n.Sessions,
			func(s store.Session) error { return inv.PutSession(ctx, s) })
	}
	if lw, ok := inv.(LockWriter); ok && err == nil {
		err = each(b.locks, &n.Locks,
			func(l store.Lock) error { return lw.PutLock(ctx, l) })
	}
	return n, err
}

// each calls put for every record, counting those written, and stops at
// the first error.
func each[T any](records []T, count *int, put func(T) error) error {
	for _, r := range records {
		if err := put(r); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		*count++
	}
	return nil
}
