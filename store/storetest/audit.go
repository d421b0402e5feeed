package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
)

var auditTests = []test{
	{"Appended audit entries form a chain that verifies", auditChain},
	{"Audit details are kept byte for byte", auditDetailsVerbatim},
	{"Audit entries are filtered by sequence, subject and limit",
		auditFilter},
	{"Signals, finished actions and appends extend one chain",
		auditOneChain},
	{"Concurrent appends form one unbroken chain", auditConcurrent},
	{"Audit details that are not valid JSON are invalid", auditBadJSON},
}

// listAudit lists the audit entries matching f.
func listAudit(t *testing.T, s store.Store, f store.AuditFilter) []store.AuditEntry {
	t.Helper()
	es, err := s.ListAudit(t.Context(), f)
	must(t, err)
	return es
}

// verify fails the test unless the whole trail is one valid chain of n
// entries, and returns it.
func verify(t *testing.T, s store.Store, n int) []store.AuditEntry {
	t.Helper()
	es := listAudit(t, s, store.AuditFilter{})
	if _, err := store.VerifyChain(es, store.GenesisHash, 0); err != nil {
		t.Fatalf("verify chain: %v", err)
	}
	equal(t, "entries", len(es), n)
	return es
}

func auditChain(t *testing.T, s store.Store) {
	must(t, s.AppendAudit(t.Context(), entry("alice", 1)))
	must(t, s.AppendAudit(t.Context(), entry("bob", 2), entry("alice", 3)))
	es := verify(t, s, 3)
	want := entry("bob", 2)
	want.Seq, want.Time, want.PrevHash = 2, at(0), es[0].Hash
	want.Hash = store.ChainHash(want)
	equal(t, "second entry", es[1], want)
	equal(t, "first entry's previous hash", es[0].PrevHash, store.GenesisHash)
}

func auditDetailsVerbatim(t *testing.T, s store.Store) {
	details := json.RawMessage("{\"z\": 1,\n  \"a\" : [ true, \"\\u00fc\" ]}")
	e := entry("alice", 0)
	e.Details = details
	must(t, s.AppendAudit(t.Context(), e))
	es := verify(t, s, 1)
	equal(t, "details", string(es[0].Details), string(details))
}

func auditFilter(t *testing.T, s store.Store) {
	for i, subject := range []string{"alice", "bob", "alice", "alice"} {
		must(t, s.AppendAudit(t.Context(), entry(subject, i)))
	}
	cases := []struct {
		name string
		f    store.AuditFilter
		want []int64
	}{
		{"No filter lists every entry in order", store.AuditFilter{},
			[]int64{1, 2, 3, 4}},
		{"After a sequence lists the later entries",
			store.AuditFilter{AfterSeq: 2}, []int64{3, 4}},
		{"Subject matches that subject only",
			store.AuditFilter{Subject: "alice"}, []int64{1, 3, 4}},
		{"Limit keeps the first entries", store.AuditFilter{
			Subject: "alice", AfterSeq: 1, Limit: 1}, []int64{3}},
		{"Latest keeps the last entries, in order", store.AuditFilter{
			Subject: "alice", Limit: 2, Latest: true}, []int64{3, 4}},
		{"Latest without a limit lists every entry in order",
			store.AuditFilter{AfterSeq: 1, Latest: true},
			[]int64{2, 3, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es := listAudit(t, s, c.f)
			equal(t, "sequence numbers", ids(es, func(e store.AuditEntry) int64 {
				return e.Seq
			}), c.want)
		})
	}
}

func auditOneChain(t *testing.T, s store.Store) {
	must(t, s.AppendAudit(t.Context(), entry("alice", 1)))
	record(t, s, signal("sig-1", "d1"), []store.Action{action("a1", "k1")},
		entry("alice", 2))
	must(t, s.FinishAction(t.Context(), "a1", store.ActionDone, nil, "",
		[]store.AuditEntry{entry("alice", 3), entry("alice", 4)}))
	must(t, s.AppendAudit(t.Context(), entry("alice", 5)))
	for i, e := range verify(t, s, 5) {
		equal(t, fmt.Sprintf("entry %d details", i+1), string(e.Details),
			fmt.Sprintf(`{"n": %d}`, i+1))
	}
}

func auditConcurrent(t *testing.T, s store.Store) {
	const writers, calls = 4, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for c := range calls {
				subject := fmt.Sprintf("writer-%d-call-%d", w, c)
				err := s.AppendAudit(t.Context(), entry(subject, 0),
					entry(subject, 1))
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	es := verify(t, s, writers*calls*2)
	for i := 0; i < len(es); i += 2 {
		if es[i].Subject != es[i+1].Subject {
			t.Fatalf("entries %d and %d of one call are apart", es[i].Seq,
				es[i].Seq+1)
		}
	}
}

func auditBadJSON(t *testing.T, s store.Store) {
	bad := entry("alice", 2)
	bad.Details = json.RawMessage(`{"n": `)
	err := s.AppendAudit(t.Context(), entry("alice", 1), bad)
	wantErr(t, err, store.ErrInvalid)
	verify(t, s, 0)
}
