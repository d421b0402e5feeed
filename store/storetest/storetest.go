// Package storetest is the conformance suite every store.Store backend
// must pass. A backend's tests call Run with a function that opens a
// fresh, empty store for one subtest and closes it when that test ends
// (t.Cleanup).
//
// Beyond what store.Store's comments say, the suite pins down what a
// caller can see and the interface leaves open, so that backends agree:
// times read back as store.NormalizeTime of what was written; JSON values
// and audit details read back byte for byte, and invalid JSON is
// store.ErrInvalid; an empty status is "active"; ListActions lists in
// created order, ListAudit in sequence order and ListSignals newest
// first; MarkExposed keeps the earliest exposure; RetryAction refuses
// actions that are done or skipped.
package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// test is one guarantee, named by a sentence.
type test struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// Run runs every test of the suite as a subtest, each on a store that
// open returns.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := [][]test{principalTests, aliasTests, sessionTests,
		revokeTests, credentialTests, lockTests, signalTests, actionTests,
		claimTests, auditTests, effectTests, guardTests,
		keyTests, streamTests, deliveryTests, exposureTests, sweepRunTests,
		statsTests, tokenTests, queryTests, changeTests, coalesceTests}
	for _, g := range groups {
		for _, tc := range g {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
		}
	}
}

// base is the time the fixtures are built around: not UTC and finer than
// a microsecond, so that a backend has to normalise it.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535897932,
	time.FixedZone("UTC+1", 3600))

// at is base moved by d, as a store keeps it.
func at(d time.Duration) time.Time {
	return store.NormalizeTime(base.Add(d))
}

// must fails the test at once on an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one wrapping %q", err, target)
	}
}

// wantField fails the test unless err wraps store.ErrInvalid and names
// the field at fault.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantErr(t, err, store.ErrInvalid)
	if !strings.Contains(err.Error(), field) {
		t.Fatalf("error %q does not name the field %s", err, field)
	}
}

// equal fails the test when got and want differ, showing both as JSON.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	t.Fatalf("%s:\n got: %s\nwant: %s", what, g, w)
}

// sameSet fails the test unless got and want hold the same strings in
// any order.
func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)),
		slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

// ids returns the id of each record.
func ids[T, K any](records []T, id func(T) K) []K {
	out := make([]K, len(records))
	for i, r := range records {
		out[i] = id(r)
	}
	return out
}

// sessionID, credentialID, principalID and actionID name records for ids.
func sessionID(s store.Session) string       { return s.ID }
func credentialID(c store.Credential) string { return c.ID }
func principalID(p store.Principal) string   { return p.ID }
func actionID(a store.Action) string         { return a.ID }

// addPrincipal stores a human principal with that id.
func addPrincipal(t *testing.T, s store.Store, id string) {
	t.Helper()
	must(t, s.PutPrincipal(t.Context(), store.Principal{ID: id,
		Kind: store.KindHuman, Status: store.StatusActive,
		CreatedAt: base}))
}

// second is base moved by n seconds, as a store keeps it.
func second(n int) time.Time {
	return at(time.Duration(n) * time.Second)
}
