package signals_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

// BenchmarkDecode decodes each sample alert in turn, one per iteration.
func BenchmarkDecode(b *testing.B) {
	files, err := filepath.Glob(filepath.Join(alertsDir, "*.json"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no samples in %s: %v", alertsDir, err)
	}
	payloads := make([][]byte, len(files))
	size := 0
	for i, f := range files {
		if payloads[i], err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
		size += len(payloads[i])
	}
	b.SetBytes(int64(size / len(payloads)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := signals.Decode(payloads[i%len(payloads)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
