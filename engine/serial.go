package engine

import (
	"context"
	"slices"
	"sync"
)

// PrincipalLocker is a registry several instances share that can make
// their signals about one principal take turns too, as principalSerial
// does within one (store/postgres). LockPrincipals holds ids until
// unlock is called.
type PrincipalLocker interface {
	LockPrincipals(ctx context.Context, ids []string) (unlock func(), err error)
}

// principalSerial lets one signal at a time work on a principal, from
// resolution to the outbox write. The source keeps one Kafka key on one
// worker, but a SIEM keys its messages by whatever it has (an email, a
// user id, an access key, nothing), so two alerts about one principal
// may arrive under two keys on two workers; without this, both were
// evaluated against the registry as it stood before either was recorded
// (a lock one placed was unseen by the other, a budget counted twice).
type principalSerial struct {
	mu   sync.Mutex
	held map[string]*serialEntry
}

type serialEntry struct {
	mu   sync.Mutex
	refs int
}

// lock waits until no other signal holds any of ids, then holds them all
// until the returned func is called. Ids are taken in sorted order, so
// two signals naming the same principals in any order never deadlock.
func (s *principalSerial) lock(ids []string) (unlock func()) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	entries := make([]*serialEntry, len(ids))
	s.mu.Lock()
	if s.held == nil {
		s.held = map[string]*serialEntry{}
	}
	for i, id := range ids {
		e := s.held[id]
		if e == nil {
			e = &serialEntry{}
			s.held[id] = e
		}
		e.refs++
		entries[i] = e
	}
	s.mu.Unlock()
	for _, e := range entries {
		e.mu.Lock()
	}
	return func() {
		for _, e := range entries {
			e.mu.Unlock()
		}
		s.mu.Lock()
		for i, id := range ids {
			entries[i].refs--
			if entries[i].refs == 0 {
				delete(s.held, id)
			}
		}
		s.mu.Unlock()
	}
}
