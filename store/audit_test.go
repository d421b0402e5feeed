package store_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

// chainOf returns n linked entries after (prev, prevSeq).
func chainOf(n int, prev string, prevSeq int64) []store.AuditEntry {
	es := make([]store.AuditEntry, n)
	for i := range es {
		e := store.AuditEntry{Seq: prevSeq + int64(i) + 1,
			Time: t0.Add(time.Duration(i) * time.Second), Actor: "engine",
			Event: "decision", Subject: "alice", PrevHash: prev,
			Details: json.RawMessage(`{"n": 1}`)}
		e.Hash = store.ChainHash(e)
		es[i], prev = e, e.Hash
	}
	return es
}

func TestVerifyChainAcceptsAnIntactChain(t *testing.T) {
	es := chainOf(4, store.GenesisHash, 0)
	last, err := store.VerifyChain(es, store.GenesisHash, 0)
	if err != nil || last != es[3].Hash {
		t.Fatalf("VerifyChain = %s, %v; want the last hash", last, err)
	}
	tail := chainOf(2, es[3].Hash, 4)
	if _, err := store.VerifyChain(tail, es[3].Hash, 4); err != nil {
		t.Fatalf("verify a chain that continues another: %v", err)
	}
}

func TestVerifyChainFindsTheBrokenEntry(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(es []store.AuditEntry)
		seq    int64
	}{
		{"Edited details", func(es []store.AuditEntry) {
			es[2].Details = json.RawMessage(`{"n": 2}`)
		}, 3},
		{"Edited details with the same meaning", func(es []store.AuditEntry) {
			es[1].Details = json.RawMessage(`{"n":1}`)
		}, 2},
		{"Edited actor", func(es []store.AuditEntry) {
			es[3].Actor = "operator:mallory"
		}, 4},
		{"Edited time", func(es []store.AuditEntry) {
			es[0].Time = es[0].Time.Add(time.Second)
		}, 1},
		{"A removed entry", func(es []store.AuditEntry) {
			copy(es[1:], es[2:])
		}, 3},
		{"A rehashed entry whose successor still names the old hash",
			func(es []store.AuditEntry) {
				es[1].Subject = "bob"
				es[1].Hash = store.ChainHash(es[1])
			}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es := chainOf(5, store.GenesisHash, 0)
			c.tamper(es)
			_, err := store.VerifyChain(es, store.GenesisHash, 0)
			var chainErr *store.ChainError
			if !errors.As(err, &chainErr) || chainErr.Seq != c.seq {
				t.Fatalf("VerifyChain = %v, want a break at %d", err, c.seq)
			}
		})
	}
}

func TestChainHashUsesTheNormalizedTime(t *testing.T) {
	e := chainOf(1, store.GenesisHash, 0)[0]
	same := e
	same.Time = e.Time.In(time.FixedZone("UTC+9", 9*3600)).
		Add(999 * time.Nanosecond)
	if store.ChainHash(same) != e.Hash {
		t.Fatal("the same microsecond in another zone hashes differently")
	}
	later := e
	later.Time = e.Time.Add(time.Microsecond)
	if store.ChainHash(later) == e.Hash {
		t.Fatal("a microsecond later hashes the same")
	}
}

func TestNormalizeTime(t *testing.T) {
	in := time.Date(2026, 1, 2, 3, 4, 5, 123456789,
		time.FixedZone("UTC-5", -5*3600))
	got := store.NormalizeTime(in)
	want := time.Date(2026, 1, 2, 8, 4, 5, 123456000, time.UTC)
	if got != want {
		t.Fatalf("NormalizeTime = %v, want %v", got, want)
	}
	if !store.NormalizeTime(time.Time{}).IsZero() {
		t.Fatal("the zero time did not stay zero")
	}
}

func TestPrincipalKindValid(t *testing.T) {
	for _, k := range []store.PrincipalKind{store.KindHuman,
		store.KindServiceAccount, store.KindAPIClient, store.KindAgent,
		store.KindWorkload} {
		if !k.Valid() {
			t.Errorf("%q is not valid", k)
		}
	}
	for _, k := range []store.PrincipalKind{"", "robot", "Human"} {
		if k.Valid() {
			t.Errorf("%q is valid", k)
		}
	}
}

// A time outside the years 1 to 9999 is kept as the nearest within
// them; the zero time stays no time, apart from the first kept.
func TestNormalizeTimeKeepsTheYears1To9999(t *testing.T) {
	minTime := time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC)
	maxTime := time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
	for _, c := range []struct{ in, want time.Time }{
		{time.Time{}, time.Time{}},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), maxTime},
		{time.Unix(1<<62, 0), maxTime},
		{time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), minTime},
		{time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), minTime},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), maxTime},
	} {
		got := store.NormalizeTime(c.in)
		if !got.Equal(c.want) || got.IsZero() != c.in.IsZero() {
			t.Errorf("NormalizeTime(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
