package sweeps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// put stores a principal of kind with one session per entry of sessions:
// id -> {age, idle}.
func (r *rig) put(t *testing.T, id string, kind store.PrincipalKind,
	sessions map[string][2]time.Duration) {
	t.Helper()
	ctx := context.Background()
	now := r.clock.Now()
	must(t, r.store.PutPrincipal(ctx, store.Principal{ID: id, Kind: kind,
		CreatedAt: now.AddDate(-1, 0, 0)}))
	for sid, ages := range sessions {
		must(t, r.store.PutSession(ctx, store.Session{ID: sid,
			PrincipalID: id, Provider: "okta", Kind: "browser",
			CreatedAt: now.Add(-ages[0]), LastSeenAt: now.Add(-ages[1])}))
	}
}

// findings lists the subjects a report found, sorted.
func findings(rep *Report) []string {
	var subjects []string
	for _, f := range rep.Findings {
		subjects = append(subjects, f.Subject)
	}
	slices.Sort(subjects)
	return subjects
}

// liveSessions lists the ids of the active sessions, sorted.
func (r *rig) liveSessions(t *testing.T) []string {
	t.Helper()
	ss, err := r.store.ListSessions(context.Background(),
		store.SessionFilter{Status: store.StatusActive})
	must(t, err)
	var ids []string
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestSessionSweepsEndSessionsPastTheirPrincipalKindsLimits(t *testing.T) {
	r := newRig(t, day0)
	h, d := time.Hour, 24*time.Hour
	// Shipped limits: a person 30 days alive, 7 idle; a service account
	// 90 and 30; an agent 24 hours and 2.
	r.put(t, "ann", store.KindHuman, map[string][2]time.Duration{
		"ann-month": {31 * d, h}, "ann-idle": {8 * d, 8 * d},
		"ann-fine": {10 * d, h}})
	r.put(t, "svc", store.KindServiceAccount, map[string][2]time.Duration{
		"svc-fine": {40 * d, 10 * d}})
	r.put(t, "bot", store.KindAgent, map[string][2]time.Duration{
		"bot-old": {30 * h, 10 * time.Minute}, "bot-idle": {5 * h, 3 * h},
		"bot-fine": {5 * h, h}})
	steps := []struct {
		sweep string
		found []string
		live  []string
	}{
		{"max-session-lifetime", []string{"session:ann-month", "session:bot-old"},
			[]string{"ann-fine", "ann-idle", "bot-fine", "bot-idle", "svc-fine"}},
		{"idle-sessions", []string{"session:ann-idle", "session:bot-idle"},
			[]string{"ann-fine", "bot-fine", "svc-fine"}},
	}
	for _, s := range steps {
		rep, err := r.runner.Run(context.Background(), s.sweep, day0, 0)
		if err != nil {
			t.Fatalf("%s: %v", s.sweep, err)
		}
		if got := findings(rep); !slices.Equal(got, s.found) {
			t.Errorf("%s found %v, want %v", s.sweep, got, s.found)
		}
		if rep.Examined == 0 || rep.Done != len(s.found) || rep.Failed != 0 {
			t.Errorf("%s: %+v, want every session examined and %d done",
				s.sweep, rep, len(s.found))
		}
		if got := r.liveSessions(t); !slices.Equal(got, s.live) {
			t.Errorf("after %s the live sessions are %v, want %v", s.sweep,
				got, s.live)
		}
	}
}

func TestMaxCredentialAgeFindsCredentialsPastTheirKindsAgeInMonitorMode(t *testing.T) {
	r := newRig(t, day0)
	r.put(t, "ann", store.KindHuman, nil)
	ctx := context.Background()
	for id, c := range map[string]struct {
		kind string
		age  int
	}{"key-100d": {"access_key", 100}, "key-80d": {"access_key", 80},
		"pat-300d": {"api_key", 300}, "pat-400d": {"api_key", 400}} {
		must(t, r.store.PutCredential(ctx, store.Credential{ID: id,
			PrincipalID: "ann", Kind: c.kind, Store: "aws",
			CreatedAt: day0.AddDate(0, 0, -c.age)}))
	}
	rep, err := r.runner.Run(ctx, "max-credential-age", day0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"credential:key-100d", "credential:pat-400d"}
	if got := findings(rep); !slices.Equal(got, want) {
		t.Fatalf("found %v, want %v (access keys live 90 days, the rest 365)",
			got, want)
	}
	if rep.Skipped != 2 || rep.Done != 0 {
		t.Fatalf("%+v: want both revocations skipped, monitor mode", rep)
	}
	for _, id := range want {
		c, err := r.store.GetCredential(ctx, strings.TrimPrefix(id, "credential:"))
		must(t, err)
		if c.Status != store.StatusActive {
			t.Errorf("%s is %s; a monitored rule must not act", id, c.Status)
		}
	}
}

func TestLockHygieneRecordsExpiredWarnsOfExpiringAndReportsOrphans(t *testing.T) {
	r := newRig(t, day0)
	r.put(t, "ann", store.KindHuman, map[string][2]time.Duration{
		"ann-1": {time.Hour, time.Minute}})
	r.put(t, "gone", store.KindHuman, nil)
	_, err := r.store.SetPrincipalStatus(context.Background(), "gone", "disabled")
	must(t, err)
	ctx := context.Background()
	for _, l := range []store.Lock{
		{ID: "expired", TargetType: "principal", Target: "ann",
			ExpiresAt: day0.Add(-time.Hour)},
		{ID: "expiring", TargetType: "principal", Target: "ann",
			ExpiresAt: day0.Add(2 * time.Hour)},
		{ID: "orphan", TargetType: "principal", Target: "gone"},
		{ID: "holding", TargetType: "principal", Target: "ann"},
	} {
		l.CreatedAt = day0.Add(-48 * time.Hour)
		must(t, r.store.PutLock(ctx, l))
	}
	_, seq := auditEvents(t, r.store, 0)
	rep, err := r.runner.Run(ctx, "lock-hygiene", day0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"lock:expired", "lock:expiring", "lock:orphan"}
	if got := findings(rep); !slices.Equal(got, want) || rep.Examined != 4 {
		t.Fatalf("examined %d, found %v; want 4 and %v", rep.Examined, got, want)
	}
	events, seq := auditEvents(t, r.store, seq)
	for _, e := range []string{"lock.expired lock:expired",
		"lock.expiring lock:expiring", "lock.orphaned lock:orphan"} {
		if !slices.Contains(events, e) {
			t.Errorf("audit %v lacks %q", events, e)
		}
	}
	if !strings.Contains(r.logs.String(), "lock about to expire") {
		t.Errorf("no warning of the expiring lock in the log")
	}
	later := day0.Add(time.Hour)
	r.clock.Set(later)
	rep, err = r.runner.Run(ctx, "lock-hygiene", later, 0)
	must(t, err)
	events, _ = auditEvents(t, r.store, seq)
	if slices.Contains(events, "lock.expired lock:expired") {
		t.Errorf("the next run recorded the same expiry again: %v", events)
	}
	if got := findings(rep); slices.Contains(got, "lock:expired") {
		t.Errorf("the next run found the old expiry again: %v", got)
	}
}

func TestRevocationLogRetentionPrunesPastTheKeepAndAuditsIt(t *testing.T) {
	r := newRig(t, day0)
	r.put(t, "ann", store.KindHuman, nil)
	ctx := context.Background()
	for i, age := range []time.Duration{40, 35, 31, 29, 1} {
		must(t, r.store.PutLock(ctx, store.Lock{ID: fmt.Sprint("l", i),
			TargetType: "principal", Target: "ann",
			CreatedAt: day0.Add(-age * 24 * time.Hour)}))
	}
	all, err := r.store.RevocationLog(ctx, 0, 0)
	must(t, err)
	_, seq := auditEvents(t, r.store, 0)
	rep, err := r.runner.Run(ctx, "revocation-log-retention", day0, 0)
	must(t, err)
	left, err := r.store.RevocationLog(ctx, 0, 0)
	must(t, err)
	if len(left) != 2 || left[0].Seq != all[3].Seq || rep.Found != 1 {
		t.Fatalf("after the sweep the log holds %d entries from %d, %d "+
			"found; want the 2 younger than 30 days, from %d, and 1 found",
			len(left), left[0].Seq, rep.Found, all[3].Seq)
	}
	events, seq := auditEvents(t, r.store, seq)
	if !slices.Contains(events, "revocation_log.pruned revocation-log") {
		t.Errorf("audit %v does not record the prune", events)
	}
	rep, err = r.runner.Run(ctx, "revocation-log-retention", day0.Add(time.Minute), 0)
	must(t, err)
	events, _ = auditEvents(t, r.store, seq)
	if rep.Found != 0 || slices.ContainsFunc(events, func(e string) bool {
		return strings.HasPrefix(e, "revocation_log.pruned")
	}) {
		t.Errorf("a second run with nothing to prune found %d and audited %v",
			rep.Found, events)
	}
}
