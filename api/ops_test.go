package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/api/introspect"
	"github.com/killswitch-dev/killswitch/api/revstream"
	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// opsEnv is the API over the demo inventory with the engine's executor
// (revoking in the registry: no connectors), the introspection index and
// the revocation stream, as run wires them.
type opsEnv struct {
	*env
	index  *introspect.Index
	stream *revstream.Stream
}

func newOpsEnv(t *testing.T, confirmOver int) *opsEnv {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ks.db"))
	must(t, err)
	t.Cleanup(func() { st.Close() })
	inv, err := inventory.Load("../testdata/inventory.yaml")
	must(t, err)
	_, err = inv.Import(t.Context(), st, time.Now())
	must(t, err)
	e := &env{t: t, st: st, clock: &clock{now: time.Now()},
		logs: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	o := &opsEnv{env: e,
		index:  introspect.New(st, introspect.Config{}, time.Now, log),
		stream: revstream.New(st, revstream.Config{}, log)}
	must(t, o.index.Refresh(t.Context()))
	x := engine.NewExecutor(st, connectors.Set{},
		engine.Publishers{o.index, o.stream}, engine.ExecutorConfig{},
		time.Now, log)
	s, err := api.New(api.Config{Store: st, Now: e.clock.Now, Log: log,
		Ops: api.Ops{Executor: x, ConfirmOver: confirmOver,
			Introspection: o.index, Revocations: o.stream,
			TokenRecheck: 100 * time.Millisecond}})
	must(t, err)
	mux := http.NewServeMux()
	mux.Handle(api.BasePath+"/", s.Handler())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return o
}

// sessionStatus reads a session's status from the registry.
func (e *env) sessionStatus(id string) string {
	e.t.Helper()
	s, err := e.st.GetSession(e.t.Context(), id)
	must(e.t, err)
	return s.Status
}

func TestTerminateAPrincipalThroughTheAPI(t *testing.T) {
	e := newOpsEnv(t, 0)
	responder := e.token(api.Responder, store.TokenScopes{})
	var got api.Termination
	e.do("POST", "/v1/sessions/terminate", responder, map[string]any{
		"principal_id": "alice", "reason": "INC-4711"}).want(t, 200, &got)
	if got.Matched != 3 || len(got.Actions) != 1 || got.Actions[0].State != "done" {
		t.Fatalf("termination %+v, want 3 sessions by one done action", got)
	}
	for _, id := range []string{"alice-okta-laptop", "alice-aws-console"} {
		if st := e.sessionStatus(id); st != store.StatusRevoked {
			t.Fatalf("%s is %s", id, st)
		}
	}
	var a introspect.Answer
	e.do("POST", "/v1/introspect", responder, map[string]any{
		"session_id": "alice-okta-laptop"}).want(t, 200, &a)
	if a.Active || a.Reason != "revoked" || a.Revocation.Reason != "INC-4711" {
		t.Fatalf("introspection %+v, want revoked for INC-4711", a)
	}
	revokes := e.audit("operator.revoke")
	if len(revokes) != 1 || !strings.HasPrefix(revokes[0].Actor,
		"operator:token:responder token(") {
		t.Fatalf("operator.revoke entries %+v, want one by the token", revokes)
	}
	if w := e.audit("api.write"); len(w) != 1 {
		t.Fatalf("api.write entries %+v, want the termination", w)
	}
}

func TestWritesNeedTheResponderRole(t *testing.T) {
	e := newOpsEnv(t, 0)
	viewer := e.token(api.Viewer, store.TokenScopes{})
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/v1/sessions/terminate", map[string]any{
			"principal_id": "alice", "reason": "x"}},
		{"POST", "/v1/locks", map[string]any{"target_type": "principal",
			"target": "alice", "reason": "x"}},
		{"DELETE", "/v1/locks/lck_1?reason=x", nil},
		{"POST", "/v1/actions/act_1/approve", map[string]any{"reason": "x"}},
		{"POST", "/v1/actions/act_1/reject", map[string]any{"reason": "x"}},
	} {
		p := e.do(c.method, c.path, viewer, c.body).problem(t, 403,
			api.ProblemCodeForbidden)
		if !strings.Contains(p.Detail, "responder") {
			t.Fatalf("%s %s: %+v, want the role named", c.method, c.path, p)
		}
	}
	if st := e.sessionStatus("alice-okta-laptop"); st != store.StatusActive {
		t.Fatalf("a viewer's termination left alice's laptop %s", st)
	}
	e.do("POST", "/v1/sessions/terminate", "", map[string]any{
		"principal_id": "alice", "reason": "x"}).problem(t, 401,
		api.ProblemCodeUnauthenticated)
}

func TestATokenForServiceAccountsCannotTerminateAHuman(t *testing.T) {
	e := newOpsEnv(t, 0)
	bots := e.token(api.Responder, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindServiceAccount}})
	for _, body := range []map[string]any{
		{"session_id": "alice-okta-laptop", "reason": "x"},
		{"principal_id": "alice", "reason": "x"},
		{"credential_id": "alice-aws-key", "reason": "x"},
	} {
		e.do("POST", "/v1/sessions/terminate", bots, body).problem(t, 404,
			api.ProblemCodeNotFound)
	}
	var got api.Termination
	e.do("POST", "/v1/sessions/terminate", bots, map[string]any{
		"filter": map[string]any{"provider": "okta"}, "reason": "x"}).want(t,
		200, &got)
	if got.Matched != 0 || e.sessionStatus("alice-okta-laptop") != store.StatusActive {
		t.Fatalf("a bots-only filter over Okta terminated %+v", got)
	}
	e.do("POST", "/v1/sessions/terminate", bots, map[string]any{
		"principal_id": "deploy-bot", "reason": "leak"}).want(t,
		200, &got)
	if e.sessionStatus("deploy-bot-ci-1") != store.StatusRevoked {
		t.Fatal("the bots token could not terminate a bot")
	}
}

func TestAFilterPastTheThresholdWantsTheCount(t *testing.T) {
	e := newOpsEnv(t, 2)
	responder := e.token(api.Responder, store.TokenScopes{})
	body := map[string]any{"filter": map[string]any{"provider": "okta"},
		"reason": "okta breach"}
	p := e.do("POST", "/v1/sessions/terminate", responder, body).problem(t,
		409, api.ProblemCodeConflict)
	if p.Matched < 3 || p.Parameter != "confirm" ||
		!strings.Contains(p.Detail, fmt.Sprint(p.Matched)) {
		t.Fatalf("problem %+v, want the count matched", p)
	}
	body["confirm"] = p.Matched
	var got api.Termination
	e.do("POST", "/v1/sessions/terminate", responder, body).want(t, 200, &got)
	if got.Matched != p.Matched || len(got.SessionIDs) != p.Matched ||
		len(got.Actions) != 1 || got.Actions[0].State != "done" {
		t.Fatalf("terminated %+v, want %d", got, p.Matched)
	}
	if e.sessionStatus("dave-laptop") != store.StatusRevoked {
		t.Fatal("dave's Okta session is still live")
	}
}

func TestBadTerminationsAreProblems(t *testing.T) {
	e := newOpsEnv(t, 0)
	responder := e.token(api.Responder, store.TokenScopes{})
	for _, c := range []struct {
		body   map[string]any
		status int
		code   api.ProblemCode
		says   string
	}{
		{map[string]any{"principal_id": "alice"}, 400,
			api.ProblemCodeInvalidBody, "reason"},
		{map[string]any{"principal_id": "alice", "session_id": "dave-laptop",
			"reason": "x"}, 400, api.ProblemCodeInvalidBody, "exactly one"},
		{map[string]any{"filter": map[string]any{"kind": "fax"},
			"reason": "x"}, 400, api.ProblemCodeInvalidBody, "browser"},
		{map[string]any{"session_id": "nosuch", "reason": "x"}, 404,
			api.ProblemCodeNotFound, "nosuch"},
	} {
		p := e.do("POST", "/v1/sessions/terminate", responder, c.body).problem(t,
			c.status, c.code)
		if !strings.Contains(p.Detail+p.Parameter, c.says) {
			t.Fatalf("%v: %+v, want it to say %q", c.body, p, c.says)
		}
	}
}

func TestLocksThroughTheAPI(t *testing.T) {
	e := newOpsEnv(t, 0)
	responder := e.token(api.Responder, store.TokenScopes{})
	var l api.Lock
	e.do("POST", "/v1/locks", responder, map[string]any{
		"target_type": "principal", "target": "dave", "reason": "INC-9",
		"expires_at": time.Now().Add(time.Hour)}).want(t, 201, &l)
	if !strings.HasPrefix(l.CreatedBy, "operator:token:") {
		t.Fatalf("lock %+v, want placed by the token", l)
	}
	var a introspect.Answer
	e.do("POST", "/v1/introspect", responder, map[string]any{
		"session_id": "dave-laptop"}).want(t, 200, &a)
	if a.Active || a.Reason != "principal_locked" || a.Lock.ID != l.ID {
		t.Fatalf("introspection %+v, want locked by %s", a, l.ID)
	}
	e.do("DELETE", "/v1/locks/"+l.ID, responder, nil).problem(t, 400,
		api.ProblemCodeInvalidParameter)
	e.do("DELETE", "/v1/locks/"+l.ID+"?reason=verified", responder, nil).want(t,
		200, &l)
	if l.LiftReason != "verified" || l.LiftedAt.IsZero() {
		t.Fatalf("lifted %+v", l)
	}
	e.do("DELETE", "/v1/locks/"+l.ID+"?reason=again", responder, nil).problem(t,
		409, api.ProblemCodeConflict)
	e.do("DELETE", "/v1/locks/nosuch?reason=x", responder, nil).problem(t,
		404, api.ProblemCodeNotFound)
	e.do("POST", "/v1/locks", responder, map[string]any{
		"target_type": "origin", "target": "not-an-ip", "reason": "x"}).problem(t,
		400, api.ProblemCodeInvalidBody)
	humans := e.token(api.Responder, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindHuman}})
	e.do("POST", "/v1/locks", humans, map[string]any{
		"target_type": "origin", "target": "203.0.113.0/24",
		"reason": "x"}).problem(t, 403, api.ProblemCodeForbidden)
	if n := len(e.audit(engine.EventLockPlaced)); n != 1 {
		t.Fatalf("%d lock.placed entries, want 1", n)
	}
}

func TestApprovalsThroughTheAPI(t *testing.T) {
	e := newOpsEnv(t, 0)
	now := time.Now()
	_, err := e.st.RecordSignal(t.Context(), store.SignalRecord{ID: "sig-1",
		DedupKey: "d-1", Time: now, ReceivedAt: now},
		[]store.Action{{ID: "act-1", IdempotencyKey: "k-1", SignalID: "sig-1",
			Kind: "revoke_sessions", TargetType: "principal", TargetID: "dave",
			Reason: "alert", PrincipalKind: store.KindHuman,
			State: store.ActionAwaitingApproval, CreatedAt: now,
			UpdatedAt: now}}, nil)
	must(t, err)
	responder := e.token(api.Responder, store.TokenScopes{})
	e.do("POST", "/v1/actions/act-1/approve", responder,
		map[string]any{"reason": " "}).problem(t, 400, api.ProblemCodeInvalidBody)
	var a api.Action
	e.do("POST", "/v1/actions/act-1/approve", responder,
		map[string]any{"reason": "confirmed"}).want(t, 200, &a)
	if a.State != "pending" || a.Approval.Verdict.Verdict != "approved" ||
		a.Approval.Verdict.Reason != "confirmed" {
		t.Fatalf("approved %+v", a)
	}
	e.do("POST", "/v1/actions/act-1/reject", responder,
		map[string]any{"reason": "late"}).problem(t, 409, api.ProblemCodeConflict)
	e.do("POST", "/v1/actions/nosuch/reject", responder,
		map[string]any{"reason": "x"}).problem(t, 404, api.ProblemCodeNotFound)
}

func TestIntrospectionIsAQueryNotAWrite(t *testing.T) {
	e := newOpsEnv(t, 0)
	viewer := e.token(api.Viewer, store.TokenScopes{})
	var a introspect.Answer
	e.do("POST", "/v1/introspect", viewer, map[string]any{
		"provider": "okta", "external_id": "okta-sess-dave-laptop"}).want(t,
		200, &a)
	if !a.Active || a.SessionID != "dave-laptop" {
		t.Fatalf("introspection %+v, want dave's laptop active", a)
	}
	e.do("POST", "/v1/introspect", viewer, map[string]any{
		"token": "ks_secret"}).problem(t, 400, api.ProblemCodeInvalidBody)
	if w := e.audit("api.write"); len(w) != 0 {
		t.Fatalf("introspection audited as writes: %+v", w)
	}
	bots := e.token(api.Viewer, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindServiceAccount}})
	e.do("POST", "/v1/introspect", bots, map[string]any{
		"session_id": "dave-laptop"}).want(t, 200, &a)
	if a.Reason != "unknown" {
		t.Fatalf("a bots-only token learnt %+v", a)
	}
}

func TestWithoutTheEngineTheControlsAreUnavailable(t *testing.T) {
	e := newEnv(t)
	responder := e.token(api.Responder, store.TokenScopes{})
	e.do("POST", "/v1/sessions/terminate", responder, map[string]any{
		"principal_id": "alice", "reason": "x"}).problem(t, 503,
		api.ProblemCodeUnavailable)
	e.do("POST", "/v1/introspect", responder, map[string]any{
		"session_id": "s"}).problem(t, 503, api.ProblemCodeUnavailable)
	e.do("GET", "/v1/revocations/stream", responder, nil).problem(t, 503,
		api.ProblemCodeUnavailable)
}

func TestTheStreamTellsATokenWhatIsInItsScope(t *testing.T) {
	e := newOpsEnv(t, 0)
	responder := e.token(api.Responder, store.TokenScopes{})
	bots := e.token(api.Viewer, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindServiceAccount}})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET",
		e.srv.URL+"/v1/revocations/stream", nil)
	req.Header.Set("Authorization", "Bearer "+bots)
	req.Header.Set("Last-Event-ID", "0")
	resp, err := e.srv.Client().Do(req)
	must(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != 200 ||
		resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream answered %d %s", resp.StatusCode,
			resp.Header.Get("Content-Type"))
	}
	for _, p := range []string{"alice", "deploy-bot"} {
		e.do("POST", "/v1/sessions/terminate", responder, map[string]any{
			"principal_id": p, "reason": "INC-1"}).want(t, 200, nil)
	}
	r := bufio.NewReader(resp.Body)
	seen := map[string]bool{}
	for len(seen) < 3 {
		line, err := r.ReadString('\n')
		must(t, err)
		data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
		if !ok {
			continue
		}
		var entry store.RevocationEntry
		must(t, json.Unmarshal([]byte(data), &entry))
		if entry.PrincipalID != "deploy-bot" {
			t.Fatalf("a bots-only token was told %+v", entry)
		}
		seen[entry.TargetID] = true
	}
}

func TestAFilterTerminatesWhatTheSessionListShows(t *testing.T) {
	e := newOpsEnv(t, 0)
	responder := e.token(api.Responder, store.TokenScopes{})
	var page api.SessionPage
	e.get("/v1/sessions?status=active&network=198.51.100.0/24&kind=browser",
		responder, 200, &page)
	want := sessionIDs(page)
	if len(want) < 2 {
		t.Fatalf("the fixture lists %q in 198.51.100.0/24", want)
	}
	var got api.Termination
	e.do("POST", "/v1/sessions/terminate", responder, map[string]any{
		"filter": map[string]any{"network": "198.51.100.0/24",
			"kind": "browser"}, "reason": "botnet"}).want(t, 200, &got)
	ids := slices.Clone(got.SessionIDs)
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("terminated %q, want what the list shows: %q", ids, want)
	}
	e.do("POST", "/v1/sessions/terminate", responder, map[string]any{
		"filter": map[string]any{"network": "198.51.100.300/24"},
		"reason": "x"}).problem(t, 400, api.ProblemCodeInvalidBody)
	revokes := e.audit("operator.revoke")
	if len(revokes) != 1 || !strings.Contains(string(revokes[0].Details),
		`"network":"198.51.100.0/24"`) {
		t.Fatalf("operator.revoke entries %+v, want the filter", revokes)
	}
}
