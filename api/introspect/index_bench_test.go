package introspect

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// benchSize is how many principals the benchmark registry holds; each
// has two sessions and a credential.
const benchSize = 100_000

// benchIndex is an Index holding benchSize principals, 2*benchSize
// sessions, benchSize credentials, a thousand principal locks and a
// hundred origin prefix locks, applied as the store would hand them over.
func benchIndex(b *testing.B) *Index {
	b.Helper()
	x := New(nil, Config{}, clock, slog.New(slog.DiscardHandler))
	var cs store.ChangeSet
	for i := range benchSize {
		p := fmt.Sprintf("p%06d", i)
		cs.Principals = append(cs.Principals, store.Principal{ID: p,
			Status: store.StatusActive})
		cs.Credentials = append(cs.Credentials, store.Credential{
			ID: "c" + p, PrincipalID: p, Status: store.StatusActive,
			Fingerprint: "sha256:" + benchPrint(i)})
		for j := range 2 {
			cs.Sessions = append(cs.Sessions, store.Session{
				ID: fmt.Sprintf("s%s-%d", p, j), PrincipalID: p,
				CredentialID: "c" + p, Provider: "okta",
				ExternalID: fmt.Sprintf("ext-%s-%d", p, j),
				Origin: store.Origin{IP: fmt.Sprintf("10.%d.%d.%d",
					i>>16&255, i>>8&255, i&255), Device: "d" + p},
				Status: store.StatusActive, ExpiresAt: now.Add(time.Hour)})
		}
	}
	for i := range 1000 {
		cs.Locks = append(cs.Locks, store.Lock{ID: fmt.Sprintf("lp%d", i),
			TargetType: "principal", Target: fmt.Sprintf("p%06d", i*97)})
	}
	for i := range 100 {
		cs.Locks = append(cs.Locks, store.Lock{ID: fmt.Sprintf("lo%d", i),
			TargetType: "origin", Target: fmt.Sprintf("192.0.%d.0/24", i)})
	}
	x.apply(cs)
	x.loaded = true
	return x
}

func benchPrint(i int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "token-%d", i))
	return hex.EncodeToString(sum[:])
}

// BenchmarkSession answers by session id from all cores.
func BenchmarkSession(b *testing.B) {
	x := benchIndex(b)
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprintf("sp%06d-%d", (i*7919)%benchSize, i%2)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := x.Session(ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkFingerprint answers by token fingerprint from all cores.
func BenchmarkFingerprint(b *testing.B) {
	x := benchIndex(b)
	prints := make([]string, 1024)
	for i := range prints {
		prints[i] = benchPrint((i * 7919) % benchSize)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := x.Fingerprint(prints[i%len(prints)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkApplyRevocations is the write side: a page of 100 revoked
// sessions applied while nothing else runs.
func BenchmarkApplyRevocations(b *testing.B) {
	x := benchIndex(b)
	var cs store.ChangeSet
	for i := range 100 {
		cs.Sessions = append(cs.Sessions, store.Session{
			ID: fmt.Sprintf("sp%06d-0", i), PrincipalID: fmt.Sprintf("p%06d", i),
			Status: store.StatusRevoked})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		x.apply(cs)
	}
}
