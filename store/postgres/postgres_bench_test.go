package postgres_test

import (
	"testing"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/postgres/pgtest"
	"github.com/killswitch-dev/killswitch/store/storetest"
)

// BenchmarkStore runs the registry's benchmarks in a fresh schema each,
// on the test server (see pgtest).
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := postgres.Open(b.Context(), pgtest.Schema(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
