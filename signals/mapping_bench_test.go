package signals_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

// BenchmarkDecodeMapped decodes the example mapping's sample alerts in
// turn, one per iteration: every built-in decoder declines each first,
// then the mappings' matches run and one mapping decodes it.
func BenchmarkDecodeMapped(b *testing.B) {
	m := loadExample(b)
	files, err := filepath.Glob(filepath.Join(mappedAlertsDir, "*.json"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no samples in %s: %v", mappedAlertsDir, err)
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
		if _, err := m.Decode(payloads[i%len(payloads)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkLoadMappings compiles the example mapping file, the overlap
// check against every reference payload included.
func BenchmarkLoadMappings(b *testing.B) {
	data, err := os.ReadFile(mappingsFile)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := signals.ParseMappings(mappingsFile, data); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseMappings checks that a mapping file never makes the loader
// panic, and that what loads decodes its sample alerts without panic,
// to an error or a signal that passes Validate.
func FuzzParseMappings(f *testing.F) {
	for _, file := range []string{mappingsFile} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(soarMapping))
	f.Add([]byte(ruleMapping))
	samples, _ := filepath.Glob(filepath.Join(mappedAlertsDir, "*.json"))
	payloads := [][]byte{[]byte(ruleAlert)}
	for _, s := range samples {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		payloads = append(payloads, b)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		m, err := signals.ParseMappings("fuzz.yaml", file)
		if err != nil {
			return
		}
		for _, p := range payloads {
			if s, err := m.Decode(p); err == nil {
				if err := s.Validate(); err != nil {
					t.Fatalf("decoded an invalid signal: %v", err)
				}
			}
		}
	})
}
