package sqlite_test

import (
	"fmt"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
)

// BenchmarkPutSession writes new sessions: the cost of a registry write
// with the change feed's triggers (compare with the same benchmark on a
// schema before migration 0009).
func BenchmarkPutSession(b *testing.B) {
	s := benchStore(b)
	i := 0
	for b.Loop() {
		i++
		err := s.PutSession(b.Context(), store.Session{
			ID: fmt.Sprint("s", i), PrincipalID: "alice", Provider: "okta",
			Origin: store.Origin{IP: "198.51.100.20"}})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChangedSinceIdle is what the introspection index pays every
// second when nothing changed, over a registry of 10000 sessions.
func BenchmarkChangedSinceIdle(b *testing.B) {
	s := benchStore(b)
	for i := range 10000 {
		err := s.PutSession(b.Context(), store.Session{
			ID: fmt.Sprint("s", i), PrincipalID: "alice"})
		if err != nil {
			b.Fatal(err)
		}
	}
	cs, err := s.ChangedSince(b.Context(), 0, 20000)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.ChangedSince(b.Context(), cs.Cursor, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChangedSinceLoad reads a registry of 10000 sessions from
// cursor 0 in pages of 5000, as the index does when it starts.
func BenchmarkChangedSinceLoad(b *testing.B) {
	s := benchStore(b)
	for i := range 10000 {
		err := s.PutSession(b.Context(), store.Session{
			ID: fmt.Sprint("s", i), PrincipalID: "alice"})
		if err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		var cursor int64
		for {
			cs, err := s.ChangedSince(b.Context(), cursor, 5000)
			if err != nil {
				b.Fatal(err)
			}
			cursor = cs.Cursor
			if !cs.More {
				break
			}
		}
	}
}
