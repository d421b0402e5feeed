package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
	"github.com/killswitch-dev/killswitch/store/storetest"
)

// BenchmarkStore runs the registry's benchmarks on a fresh file each.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := sqlite.Open(b.Context(),
			filepath.Join(b.TempDir(), "registry.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
