package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/postgres"
	"github.com/killswitch-dev/killswitch/store/postgres/pgtest"
	"github.com/killswitch-dev/killswitch/sweeps"
)

func TestTheAuditTrailIsReadInScopeAndVerified(t *testing.T) {
	dir := t.TempDir()
	e := newEnvAt(t, filepath.Join(dir, "ks.db"), func(*api.Config) {})
	e.fixture()
	e.credentials()
	e.outbox()
	viewer := e.token(api.Viewer, store.TokenScopes{})
	bots := e.token(api.Viewer, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindServiceAccount}})
	must(t, e.st.AppendAudit(t.Context(),
		store.AuditEntry{Time: t0, Actor: "engine", Event: "session.revoked",
			Subject: "s1", Details: json.RawMessage(`{"reason":"takeover"}`)},
		store.AuditEntry{Time: t0, Actor: "engine",
			Event: "credential.revoked", Subject: "ci-key"},
		store.AuditEntry{Time: t0, Actor: "operator:ana",
			Event: "lock.placed", Subject: "principal:ci-bot"},
		store.AuditEntry{Time: t0, Actor: "engine", Event: "action.done",
			Subject: "act-1"}))

	var all, mine api.AuditPage
	e.get("/v1/audit", viewer, http.StatusOK, &all)
	if len(all.Items) != 4 || all.Items[0].Seq != 1 ||
		string(all.Items[0].Details) != `{"reason":"takeover"}` {
		t.Fatalf("audit %+v", all.Items)
	}
	e.get("/v1/audit?limit=1", bots, http.StatusOK, &mine)
	e.get("/v1/audit?limit=5&cursor="+mine.NextCursor, bots, http.StatusOK, &all)
	got := []string{mine.Items[0].Subject}
	for _, x := range all.Items {
		got = append(got, x.Subject)
	}
	if strings.Join(got, ",") != "ci-key,principal:ci-bot" {
		t.Fatalf("service-account token reads the audit of %q", got)
	}
	e.get("/v1/audit?event=lock.placed", viewer, http.StatusOK, &all)
	if len(all.Items) != 1 || all.Items[0].Actor != "operator:ana" {
		t.Fatalf("lock.placed entries %+v", all.Items)
	}

	var v api.AuditVerification
	e.get("/v1/audit/verify", viewer, http.StatusOK, &v)
	if !v.OK || v.Entries != 4 || v.LastSeq != 4 {
		t.Fatalf("verification of an intact chain %+v", v)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "ks.db"))
	must(t, err)
	defer db.Close()
	_, err = db.Exec(`DROP TRIGGER audit_no_update`)
	must(t, err)
	_, err = db.Exec(`UPDATE audit SET details = '{"reason":"nothing"}'
		WHERE seq = 1`)
	must(t, err)
	e.get("/v1/audit/verify", viewer, http.StatusOK, &v)
	if v.OK || v.BrokenSeq != 1 || v.Reason == "" {
		t.Fatalf("verification of a tampered chain %+v", v)
	}
}

func TestPoliciesReportTheRevisionInForceAndAFailedReload(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "main.rego")
	write := func(src string) {
		must(t, os.WriteFile(file, []byte("package killswitch.response\n\n"+
			src), 0o600))
	}
	write(`decision := {"actions": []}` + "\n")
	r, err := rules.NewReloader(t.Context(), rules.ReloaderConfig{Path: dir})
	must(t, err)
	e := newEnvWith(t, func(c *api.Config) { c.Policies = r })
	viewer := e.token(api.Viewer, store.TokenScopes{})

	var st api.PolicyStatus
	e.get("/v1/policies", viewer, http.StatusOK, &st)
	if st.Revision == "" || st.Revision != r.Revision() || !st.ReloadOK {
		t.Fatalf("policies %+v", st)
	}
	write("decision := {\"actions\": [],\n\tx := \n}\n")
	if r.Reload(t.Context()) == nil {
		t.Fatal("a broken policy reloaded")
	}
	var after api.PolicyStatus
	e.get("/v1/policies", viewer, http.StatusOK, &after)
	if after.ReloadOK || after.Revision != st.Revision ||
		!strings.Contains(after.ReloadError, "main.rego") {
		t.Fatalf("policies after a broken reload %+v", after)
	}

	none := newEnv(t)
	none.do(http.MethodGet, "/v1/policies",
		none.token(api.Viewer, store.TokenScopes{}), nil).
		problem(t, http.StatusNotFound, api.ProblemCodeNotFound)
}

func TestSweepsShowTheirScheduleAndRuns(t *testing.T) {
	sched, err := sweeps.ParseSchedule("0 3 * * *", "UTC")
	must(t, err)
	e := newEnvWith(t, func(c *api.Config) {
		c.Sweeps = []api.SweepSchedule{{Name: "exposed-still-valid",
			Schedule: sched.String(), Next: sched.Next}}
	})
	ctx := t.Context()
	for i, outcome := range []string{store.SweepSucceeded, store.SweepFailed} {
		r := store.SweepRun{ID: "run-" + string(rune('1'+i)),
			Sweep: "exposed-still-valid", Owner: "vm:1",
			ScheduledAt: t0.Add(time.Duration(i-2) * day),
			StartedAt:   t0.Add(time.Duration(i-2) * day)}
		ok, err := e.st.StartSweepRun(ctx, r)
		must(t, err)
		if !ok {
			t.Fatal("run not started")
		}
		r.Outcome, r.FinishedAt = outcome, r.StartedAt.Add(time.Minute)
		r.Report = json.RawMessage(`{"found":` + string(rune('1'+i)) + `}`)
		must(t, e.st.FinishSweepRun(ctx, r))
	}
	viewer := e.token(api.Viewer, store.TokenScopes{})

	var list struct{ Items []api.Sweep }
	e.get("/v1/sweeps", viewer, http.StatusOK, &list)
	want := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	if len(list.Items) != len(sweeps.Names()) {
		t.Fatalf("listed %d sweeps, want every one of %v: %+v",
			len(list.Items), sweeps.Names(), list.Items)
	}
	for _, sw := range list.Items {
		if sw.Name == "exposed-still-valid" {
			if !sw.NextRun.Equal(want) || sw.Schedule != sched.String() ||
				sw.LastRun.ID != "run-2" ||
				sw.LastRun.Outcome != api.SweepRunOutcomeFailed {
				t.Fatalf("the scheduled sweep %+v", sw)
			}
		} else if sw.Schedule != "" || !sw.NextRun.IsZero() || sw.Doc == "" {
			t.Fatalf("an unscheduled sweep %+v: want its doc and no schedule",
				sw)
		}
	}
	var runs api.SweepRunPage
	e.get("/v1/sweeps/exposed-still-valid/runs?limit=1", viewer,
		http.StatusOK, &runs)
	e.get("/v1/sweeps/exposed-still-valid/runs?cursor="+runs.NextCursor,
		viewer, http.StatusOK, &runs)
	if len(runs.Items) != 1 || runs.Items[0].ID != "run-1" ||
		string(runs.Items[0].Report) != `{"found":1}` {
		t.Fatalf("second page of runs %+v", runs.Items)
	}
	var run api.SweepRun
	e.get("/v1/sweep-runs/run-2", viewer, http.StatusOK, &run)
	if string(run.Report) != `{"found":2}` {
		t.Fatalf("run-2 %+v", run)
	}

	scoped := e.token(api.Viewer, store.TokenScopes{Providers: []string{"aws"}})
	for _, path := range []string{"/v1/sweeps", "/v1/sweep-runs/run-2",
		"/v1/sweeps/exposed-still-valid/runs"} {
		e.do(http.MethodGet, path, scoped, nil).
			problem(t, http.StatusForbidden, api.ProblemCodeForbidden)
	}
}

func TestNoEndpointShowsATokenSecretOrItsHash(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	e.credentials()
	e.outbox()
	admin := e.token(api.Admin, store.TokenScopes{})
	var created api.CreatedToken
	e.do(http.MethodPost, "/v1/tokens", admin,
		api.TokenRequest{Name: "x", Role: api.Viewer}).
		want(t, http.StatusCreated, &created)
	secrets := []string{admin, api.HashSecret(admin), created.Secret,
		api.HashSecret(created.Secret)}
	for _, path := range []string{"/v1/principals", "/v1/principals/alice",
		"/v1/sessions", "/v1/credentials", "/v1/credentials/ci-key",
		"/v1/locks?all=true", "/v1/actions", "/v1/signals", "/v1/audit",
		"/v1/tokens", "/v1/openapi.json"} {
		body := string(e.get(path, admin, http.StatusOK, nil).body)
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("GET %s shows a secret or its hash", path)
			}
		}
	}
}

// /v1/sweeps says whether this instance runs the sweeps it schedules:
// of two instances on one PostgreSQL registry, one leads and the other
// follows; on SQLite an instance leads; one that schedules no sweep
// says nothing.
func TestSweepsSayWhetherThisInstanceLeads(t *testing.T) {
	url := pgtest.Schema(t)
	var leads []*sweeps.Leadership
	for range 2 {
		leads = append(leads, campaign(t, url, 100*time.Millisecond))
	}
	waitUntil(t, "exactly one of two instances leads", func() bool {
		return leads[0].Leading() != leads[1].Leading()
	})
	leader, follower := leads[0], leads[1]
	if follower.Leading() {
		leader, follower = follower, leader
	}
	onSQLite := newEnv(t)
	solo := sweeps.NewLeadership(onSQLite.st, 0, slog.Default(), nil)
	for _, c := range []struct {
		name   string
		leader api.SweepLeader
		want   string
	}{
		{"the leader", leader, "leader"},
		{"the follower", follower, "follower"},
		{"an instance on SQLite", solo, "leader"},
		{"an instance scheduling no sweep", nil, ""},
	} {
		e := newEnvWith(t, func(cfg *api.Config) { cfg.SweepLeader = c.leader })
		var list struct{ Scheduler *string }
		e.get("/v1/sweeps", e.token(api.Viewer, store.TokenScopes{}),
			http.StatusOK, &list)
		got := ""
		if list.Scheduler != nil {
			got = *list.Scheduler
		}
		if got != c.want {
			t.Errorf("%s: scheduler %q, want %q", c.name, got, c.want)
		}
	}
}

// An instance whose registry went out of reach said "follower", as if
// another instance ran the scheduled sweeps, when maybe none did: it
// says "unreachable" until it reaches the registry again.
func TestSweepsSayWhenThisInstanceCannotReachTheRegistry(t *testing.T) {
	u, err := url.Parse(pgtest.Schema(t))
	must(t, err)
	cut := tcpProxy(t, u.Host)
	u.Host = cut.addr
	l := campaign(t, u.String(), 50*time.Millisecond)
	e := newEnvWith(t, func(cfg *api.Config) { cfg.SweepLeader = l })
	scheduler := func() string {
		var list struct{ Scheduler string }
		e.get("/v1/sweeps", e.token(api.Viewer, store.TokenScopes{}),
			http.StatusOK, &list)
		return list.Scheduler
	}
	waitUntil(t, "the instance leads", func() bool {
		return scheduler() == "leader"
	})

	cut.close()

	waitUntil(t, "the instance says it cannot reach the registry", func() bool {
		return scheduler() == "unreachable"
	})
	if l.Leading() {
		t.Error("an instance cut off from its registry still leads")
	}
}

// campaign opens the PostgreSQL registry at dsn and campaigns for its
// lead, trying every retry, until t ends.
func campaign(t *testing.T, dsn string, retry time.Duration) *sweeps.Leadership {
	t.Helper()
	st, err := postgres.Open(t.Context(), dsn)
	must(t, err)
	l := sweeps.NewLeadership(st, retry, slog.New(slog.DiscardHandler), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	return l
}

// waitUntil polls cond for up to 10s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s, not yet: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// proxy forwards TCP connections from addr to a server until closed,
// when it stops listening and cuts every connection: the server as a
// network partition leaves it.
type proxy struct {
	addr  string
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func tcpProxy(t *testing.T, upstream string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	p := &proxy{addr: ln.Addr().String(), ln: ln}
	t.Cleanup(p.close)
	go func() {
		for {
			down, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				down.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, down, up)
			p.mu.Unlock()
			go func() { io.Copy(up, down); up.Close() }()
			go func() { io.Copy(down, up); down.Close() }()
		}
	}()
	return p
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
