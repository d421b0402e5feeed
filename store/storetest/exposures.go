package storetest

import (
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

var exposureTests = []test{
	{"An exposure of a known credential is in its ledger and sets its " +
		"first exposure", exposureOfKnownCredential},
	{"A repeated report refreshes last seen and keeps first seen",
		exposureRepeated},
	{"A refreshed entry keeps its place in the ledger among entries " +
		"first seen at the same time", exposureRefreshKeepsPlace},
	{"An exposure naming no credential is kept unmatched and matched " +
		"when the credential arrives", exposureMatchedLater},
	{"An exposure of a scanner's hash or a key id is matched by the " +
		"credential alias that names it, now or when the alias arrives",
		exposureMatchedByAlias},
	{"An exposure without a source, a time or a secret is invalid",
		exposureInvalid},
	{"Exposed credentials are filtered by validity, age and status",
		exposedCredentialFilter},
}

var sweepRunTests = []test{
	{"A sweep lease is held by one owner until it expires", sweepLease},
	{"A sweep runs once for one scheduled time", sweepRunOnce},
}

// putKey stores alice and her aws key without an exposure.
func putKey(t *testing.T, s store.Store) store.Credential {
	must(t, s.PutPrincipal(t.Context(), alice()))
	c := awsKey()
	c.Exposure = nil
	must(t, s.PutCredential(t.Context(), c))
	return c
}

func leak(credID string, d time.Duration) store.ExposureRecord {
	return store.ExposureRecord{CredentialID: credID, Source: "github",
		Where: "acme/x", FirstSeen: base.Add(d), LastSeen: base.Add(d)}
}

func exposureOfKnownCredential(t *testing.T, s store.Store) {
	c := putKey(t, s)
	e, err := s.RecordExposure(t.Context(), leak(c.ID, 0))
	must(t, err)
	got, err := s.ListExposures(t.Context(),
		store.ExposureFilter{CredentialID: c.ID})
	must(t, err)
	if len(got) != 1 || got[0].ID != e.ID || !got[0].FirstSeen.Equal(at(0)) {
		t.Fatalf("ledger = %+v, want the one exposure %s", got, e.ID)
	}
	read, err := s.GetCredential(t.Context(), c.ID)
	must(t, err)
	if read.Exposure == nil || !read.Exposure.At.Equal(at(0)) ||
		read.Exposure.Where != "acme/x" {
		t.Fatalf("credential exposure = %+v, want the ledger's first", read.Exposure)
	}
}

func exposureRepeated(t *testing.T, s store.Store) {
	c := putKey(t, s)
	_, err := s.RecordExposure(t.Context(), leak(c.ID, time.Hour))
	must(t, err)
	_, err = s.RecordExposure(t.Context(), leak(c.ID, 3*time.Hour))
	must(t, err)
	e, err := s.RecordExposure(t.Context(), leak(c.ID, 0))
	must(t, err)
	got, err := s.ListExposures(t.Context(), store.ExposureFilter{})
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("ledger has %d entries, want 1: %+v", len(got), got)
	}
	if !e.FirstSeen.Equal(at(0)) || !got[0].LastSeen.Equal(at(3*time.Hour)) {
		t.Fatalf("entry = %+v, want first seen %v and last seen %v",
			got[0], at(0), at(3*time.Hour))
	}
}

func exposureRefreshKeepsPlace(t *testing.T, s store.Store) {
	c := putKey(t, s)
	github, gitlab := leak(c.ID, 0), leak(c.ID, 0)
	gitlab.Source = "gitlab"
	for _, e := range []store.ExposureRecord{github, gitlab, github} {
		e.LastSeen = e.LastSeen.Add(time.Hour)
		_, err := s.RecordExposure(t.Context(), e)
		must(t, err)
	}
	got, err := s.ListExposures(t.Context(), store.ExposureFilter{})
	must(t, err)
	if len(got) != 2 || got[0].Source != "github" ||
		got[1].Source != "gitlab" {
		t.Fatalf("ledger = %+v, want github's entry, then gitlab's", got)
	}
	read, err := s.GetCredential(t.Context(), c.ID)
	must(t, err)
	if read.Exposure == nil || read.Exposure.Source != "github" {
		t.Fatalf("exposure = %+v, want the ledger's first, github's",
			read.Exposure)
	}
}

func exposureMatchedLater(t *testing.T, s store.Store) {
	must(t, s.PutPrincipal(t.Context(), alice()))
	byPrint := store.ExposureRecord{Fingerprint: awsKey().Fingerprint,
		Source: "gitguardian", FirstSeen: base}
	byKey := store.ExposureRecord{KeyID: "AKIAOTHER", Source: "github",
		FirstSeen: base.Add(-time.Hour)}
	for _, e := range []store.ExposureRecord{byPrint, byKey} {
		_, err := s.RecordExposure(t.Context(), e)
		must(t, err)
	}
	open, err := s.ListExposures(t.Context(), store.ExposureFilter{Unmatched: true})
	must(t, err)
	if len(open) != 2 {
		t.Fatalf("unmatched = %+v, want both", open)
	}
	c := awsKey()
	c.Exposure = nil
	must(t, s.PutCredential(t.Context(), c))
	other := store.Credential{ID: "alice-other", PrincipalID: "alice",
		ExternalID: "AKIAOTHER", CreatedAt: base}
	must(t, s.PutCredential(t.Context(), other))
	open, err = s.ListExposures(t.Context(), store.ExposureFilter{Unmatched: true})
	must(t, err)
	if len(open) != 0 {
		t.Fatalf("still unmatched: %+v", open)
	}
	for id, want := range map[string]time.Time{c.ID: at(0),
		other.ID: at(-time.Hour)} {
		read, err := s.GetCredential(t.Context(), id)
		must(t, err)
		if read.Exposure == nil || !read.Exposure.At.Equal(want) {
			t.Errorf("%s exposure = %+v, want at %v", id, read.Exposure, want)
		}
	}
}

func exposureMatchedByAlias(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := putKey(t, s)
	ggHash := store.ExposureRecord{Fingerprint: "5e3c1fdc9a1b8e0d", // GitGuardian's
		Source: "gitguardian", FirstSeen: base}
	byKey := store.ExposureRecord{KeyID: "AKIAALIASONLY", Source: "ocsf",
		FirstSeen: base.Add(-time.Hour)}
	for _, e := range []store.ExposureRecord{ggHash, byKey} {
		_, err := s.RecordExposure(ctx, e)
		must(t, err)
	}
	must(t, s.PutAlias(ctx, store.Alias{Type: "secret_hash",
		Value: ggHash.Fingerprint, PrincipalID: "alice", CredentialID: c.ID}))
	must(t, s.PutAlias(ctx, store.Alias{Type: "access_key_id",
		Value: byKey.KeyID, PrincipalID: "alice"})) // names no credential
	open, err := s.ListExposures(ctx, store.ExposureFilter{Unmatched: true})
	must(t, err)
	if len(open) != 1 || open[0].KeyID != byKey.KeyID {
		t.Fatalf("unmatched = %+v, want only the key id's", open)
	}
	must(t, s.PutAlias(ctx, store.Alias{Type: "access_key_id",
		Value: byKey.KeyID, PrincipalID: "alice", CredentialID: c.ID}))
	again, err := s.RecordExposure(ctx, store.ExposureRecord{
		Fingerprint: ggHash.Fingerprint, Source: "gitguardian",
		Where: "acme/y", FirstSeen: base.Add(time.Hour)})
	must(t, err)
	if again.CredentialID != c.ID {
		t.Fatalf("a new exposure of the hash names %q, want %s by its alias",
			again.CredentialID, c.ID)
	}
	got, err := s.ListExposures(ctx, store.ExposureFilter{CredentialID: c.ID})
	must(t, err)
	if len(got) != 3 {
		t.Fatalf("%s has %d exposures, want 3: %+v", c.ID, len(got), got)
	}
	read, err := s.GetCredential(ctx, c.ID)
	must(t, err)
	if read.Exposure == nil || !read.Exposure.At.Equal(at(-time.Hour)) {
		t.Fatalf("exposure = %+v, want the key id's, the earliest", read.Exposure)
	}
}

func exposureInvalid(t *testing.T, s store.Store) {
	for field, e := range map[string]store.ExposureRecord{
		"source":      {KeyID: "k", FirstSeen: base},
		"first_seen":  {KeyID: "k", Source: "github"},
		"fingerprint": {Source: "github", FirstSeen: base},
	} {
		_, err := s.RecordExposure(t.Context(), e)
		wantField(t, err, field)
	}
	_, err := s.RecordExposure(t.Context(), leak("nothing", 0))
	wantErr(t, err, store.ErrNotFound)
}

func exposedCredentialFilter(t *testing.T, s store.Store) {
	c := putKey(t, s)
	old := store.Credential{ID: "alice-old", PrincipalID: "alice",
		CreatedAt: base}
	must(t, s.PutCredential(t.Context(), old))
	must(t, s.PutCredential(t.Context(), store.Credential{ID: "clean",
		PrincipalID: "alice", CreatedAt: base}))
	for _, e := range []store.ExposureRecord{leak(c.ID, -time.Hour),
		leak(old.ID, -10*24*time.Hour)} {
		_, err := s.RecordExposure(t.Context(), e)
		must(t, err)
	}
	must(t, s.SetExposureValidity(t.Context(), c.ID, store.ValidityValid, base))
	must(t, s.SetExposureValidity(t.Context(), old.ID, store.ValidityInvalid, base))
	wantIDs := func(f store.ExposedFilter, ids ...string) {
		t.Helper()
		got, err := s.ListExposedCredentials(t.Context(), f)
		must(t, err)
		var have []string
		for _, x := range got {
			have = append(have, x.Credential.ID)
		}
		if len(have) != len(ids) || (len(ids) > 0 && have[0] != ids[0]) {
			t.Fatalf("%+v: got %v, want %v", f, have, ids)
		}
	}
	wantIDs(store.ExposedFilter{}, old.ID, c.ID)
	wantIDs(store.ExposedFilter{StillValid: true}, c.ID)
	wantIDs(store.ExposedFilter{PrincipalID: "bob"})
	wantIDs(store.ExposedFilter{ExposedBefore: base.Add(-5 * 24 * time.Hour)},
		old.ID)
	_, _, err := s.RevokeCredential(t.Context(), c.ID, store.Revocation{At: base})
	must(t, err)
	wantIDs(store.ExposedFilter{Status: store.StatusActive}, old.ID)
	got, err := s.ListExposedCredentials(t.Context(),
		store.ExposedFilter{StillValid: true})
	must(t, err)
	v, when := got[0].Checked()
	if v != store.ValidityValid || !when.Equal(at(0)) {
		t.Fatalf("checked = %s at %v, want valid at %v", v, when, at(0))
	}
}

func sweepLease(t *testing.T, s store.Store) {
	ctx := t.Context()
	steps := []struct {
		owner string
		at    time.Duration
		want  bool
	}{
		{"a", 0, true},
		{"b", time.Minute, false},
		{"a", time.Minute, true}, // the holder extends it to 6m
		{"b", 5 * time.Minute, false},
		{"b", 6 * time.Minute, true},
	}
	for _, st := range steps {
		got, err := s.AcquireSweepLease(ctx, "idle", st.owner,
			base.Add(st.at), 5*time.Minute)
		must(t, err)
		if got != st.want {
			t.Fatalf("%s at +%v: acquired = %v, want %v", st.owner, st.at,
				got, st.want)
		}
	}
	must(t, s.ReleaseSweepLease(ctx, "idle", "a")) // not a's: kept
	if got, _ := s.AcquireSweepLease(ctx, "idle", "a", base.Add(7*time.Minute),
		time.Minute); got {
		t.Fatal("a took b's lease after releasing its own")
	}
	must(t, s.ReleaseSweepLease(ctx, "idle", "b"))
	if got, _ := s.AcquireSweepLease(ctx, "idle", "a", base.Add(7*time.Minute),
		time.Minute); !got {
		t.Fatal("a did not get a released lease")
	}
}

func sweepRunOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	run := store.SweepRun{ID: "r1", Sweep: "idle", ScheduledAt: base,
		Owner: "a", StartedAt: base}
	ok, err := s.StartSweepRun(ctx, run)
	must(t, err)
	again := run
	again.ID, again.Owner = "r2", "b"
	dup, err := s.StartSweepRun(ctx, again)
	must(t, err)
	if !ok || dup {
		t.Fatalf("started = %v, %v; want the first only", ok, dup)
	}
	run.FinishedAt, run.Outcome = base.Add(time.Second), store.SweepSucceeded
	run.Report = []byte(`{"found":2}`)
	must(t, s.FinishSweepRun(ctx, run))
	runs, err := s.ListSweepRuns(ctx, "idle", 0)
	must(t, err)
	if len(runs) != 1 || runs[0].Outcome != store.SweepSucceeded ||
		string(runs[0].Report) != `{"found":2}` || runs[0].Owner != "a" {
		t.Fatalf("runs = %+v", runs)
	}
}
