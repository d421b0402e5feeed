package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
	"github.com/killswitch-dev/killswitch/store"
)

// apiClient calls a running killswitch's API with one token.
type apiClient struct {
	t      *testing.T
	base   string
	secret string
}

// call sends body (nil for none) and decodes the answer into out; it
// returns the status.
func (c apiClient) call(method, path string, body, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(c.t.Context(), method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// must is call, failing unless the status is want.
func (c apiClient) must(want int, method, path string, body, out any) {
	c.t.Helper()
	var raw json.RawMessage
	if got := c.call(method, path, body, &raw); got != want {
		c.t.Fatalf("%s %s = %d, want %d: %s", method, path, got, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatal(err)
		}
	}
}

// mintToken creates an API token with the CLI and returns its secret.
func mintToken(t *testing.T, db, name, role string, flags ...string) string {
	t.Helper()
	out := mustKS(t, append([]string{"--store", db, "tokens", "create",
		"--name", name, "--role", role}, flags...)...)
	secret := secretLine.FindString(out)
	if secret == "" {
		t.Fatalf("tokens create printed no secret: %s", out)
	}
	return secret
}

// sseEvent is one event of the revocation stream.
type sseEvent struct {
	id, typ string
	entry   store.RevocationEntry
}

// subscribe opens the revocation stream and sends its events on the
// channel until the test ends.
func subscribe(t *testing.T, base, secret string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET",
		base+"/v1/revocations/stream", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("stream answered %d", resp.StatusCode)
	}
	ch := make(chan sseEvent, 64)
	go func() {
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		var e sseEvent
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ": ")
			switch k {
			case "id":
				e.id = v
			case "event":
				e.typ = v
			case "data":
				if json.Unmarshal([]byte(v), &e.entry) == nil {
					ch <- e
				}
				e = sseEvent{}
			}
		}
	}()
	return ch
}

// TestAResponderCutsAPrincipalOffThroughTheAPI is issue 7's done-means,
// through the API of a real run against real Ory Kratos and Hydra: find
// ada by her email, see her live sessions, terminate them all with a
// reason, lock her, and see it everywhere it must show: at Kratos and
// Hydra, in the revocation stream, as signed SETs pushed to a receiver,
// in introspection, in the audit trail.
func TestAResponderCutsAPrincipalOffThroughTheAPI(t *testing.T) {
	s := newOryStack(t)
	s.sync(t)
	port := freeTestPort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	const ssfToken = "ssf-admin-SECRET-token"
	responder := apiClient{t, base, mintToken(t, s.db, "oncall", "responder")}
	viewer := apiClient{t, base, mintToken(t, s.db, "dash", "viewer")}
	bots := apiClient{t, base, mintToken(t, s.db, "ci", "responder",
		"--scope-kind", "service_account")}
	logs := startRun(t, s, port, base, ssfToken)

	rc := &setReceiver{issuer: base}
	recv := httptest.NewServer(rc)
	defer recv.Close()
	createPushStream(t, base, ssfToken, recv.URL)
	events := subscribe(t, base, viewer.secret)

	var found struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	viewer.must(200, "GET", "/v1/principals?alias_type=email&alias=ada@example.com",
		nil, &found)
	if len(found.Items) != 1 || found.Items[0].ID != "ada" {
		t.Fatalf("ada@example.com names %+v, want ada", found.Items)
	}
	live := liveSessions(t, viewer)
	for i, ses := range s.sessions {
		if got := s.k.Whoami(t, ses.Token); got != http.StatusOK {
			t.Fatalf("Kratos whoami of session %d = %d before, want 200", i, got)
		}
	}
	if !s.h.Introspect(t, s.tokens.Access) {
		t.Fatal("Hydra says the access token is inactive before")
	}

	// The viewer's role is too low; ada is outside the bots token's
	// scope, which it is told as if she did not exist.
	for c, want := range map[*apiClient]int{&viewer: 403, &bots: 404} {
		if got := c.call("POST", "/v1/sessions/terminate", map[string]any{
			"principal_id": "ada", "reason": "x"}, nil); got != want {
			t.Fatalf("terminate with a token that may not = %d, want %d",
				got, want)
		}
	}
	var done struct {
		Matched int `json:"matched"`
		Actions []struct {
			State string `json:"state"`
		} `json:"actions"`
	}
	responder.must(200, "POST", "/v1/sessions/terminate", map[string]any{
		"principal_id": "ada", "reason": "INC-4711 phished"}, &done)
	if done.Matched != 3 || len(done.Actions) != 1 || done.Actions[0].State != "done" {
		t.Fatalf("termination %+v, want 3 sessions by one done action", done)
	}
	var lock struct {
		ID string `json:"id"`
	}
	responder.must(201, "POST", "/v1/locks", map[string]any{
		"target_type": "principal", "target": "ada", "reason": "INC-4711",
		"expires_at": time.Now().Add(24 * time.Hour)}, &lock)

	for i, ses := range s.sessions {
		if got := s.k.Whoami(t, ses.Token); got != http.StatusUnauthorized {
			t.Errorf("Kratos whoami of session %d = %d, want 401", i, got)
		}
	}
	if s.h.Introspect(t, s.tokens.Access) {
		t.Error("Hydra still says the access token is active")
	}
	waitStream(t, events, live, lock.ID)
	waitSETs(t, rc, live, logs)
	for id := range live {
		var a struct {
			Active     bool   `json:"active"`
			Reason     string `json:"reason"`
			Revocation struct {
				Reason string `json:"reason"`
			} `json:"revocation"`
		}
		viewer.must(200, "POST", "/v1/introspect",
			map[string]any{"session_id": id}, &a)
		if a.Active || a.Reason != "revoked" ||
			a.Revocation.Reason != "INC-4711 phished" {
			t.Fatalf("introspection of %s: %+v, want revoked for INC-4711", id, a)
		}
	}
	wantAudit(t, viewer, responder.secret)
}

// startRun starts run with the API, the transmitter and the Ory
// connectors, and returns its log.
func startRun(t *testing.T, s *oryStack, port int, base, ssfToken string) *logbuf.Buffer {
	t.Helper()
	run := exec.Command(binary, "--store", s.db, "run", "--listen",
		fmt.Sprintf("127.0.0.1:%d", port), "--ssf-issuer", base,
		"--config", s.cfg, "--sync-interval", "0",
		"--embedded-broker-port", fmt.Sprint(freeTestPort(t)))
	run.Env = append(os.Environ(), "KILLSWITCH_SSF_TOKEN="+ssfToken)
	logs := &logbuf.Buffer{}
	run.Stderr = logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = run.Process.Signal(syscall.SIGTERM)
		if err := waitExit(run, 30*time.Second); err != nil {
			_ = run.Process.Kill()
			t.Errorf("run did not stop on SIGTERM: %v", err)
		}
	})
	waitDial(t, fmt.Sprintf("127.0.0.1:%d", port))
	return logs
}

// liveSessions lists ada's live sessions through the API, checking that
// each shows where it came from and how revoking it takes effect, and
// returns them by id with their provider's id.
func liveSessions(t *testing.T, c apiClient) map[string]string {
	t.Helper()
	var page struct {
		Items []struct {
			ID         string            `json:"id"`
			Provider   string            `json:"provider"`
			ExternalID string            `json:"external_id"`
			Origin     map[string]string `json:"origin"`
			Effect     string            `json:"revocation_effect"`
		} `json:"items"`
	}
	c.must(200, "GET", "/v1/sessions?principal=ada&status=active", nil, &page)
	live := map[string]string{}
	for _, ses := range page.Items {
		where := ses.Origin["ip"] + ses.Origin["user_agent"] + ses.Origin["app"]
		if where == "" || ses.Effect != string(store.EffectImmediate) {
			t.Fatalf("session %+v: want an origin and an immediate effect", ses)
		}
		live[ses.ID] = ses.ExternalID
	}
	if len(live) != 3 {
		t.Fatalf("ada's live sessions: %+v, want two Kratos and one Hydra",
			page.Items)
	}
	return live
}

// waitStream waits for the stream to tell of every session in live
// revoked and of the lock placed.
func waitStream(t *testing.T, events <-chan sseEvent, live map[string]string,
	lockID string) {
	t.Helper()
	want := map[string]bool{lockID: true}
	for id := range live {
		want[id] = true
	}
	timeout := time.After(60 * time.Second)
	for len(want) > 0 {
		select {
		case e := <-events:
			if e.id != fmt.Sprint(e.entry.Seq) || e.typ != e.entry.Type {
				t.Fatalf("event %s %s carries %+v", e.id, e.typ, e.entry)
			}
			ok := (e.typ == store.EntrySessionRevoked &&
				e.entry.Reason == "INC-4711 phished") ||
				(e.typ == store.EntryLockPlaced && e.entry.LockTarget == "ada")
			if ok {
				delete(want, e.entry.TargetID)
			}
		case <-timeout:
			t.Fatalf("the stream never told of %v", want)
		}
	}
}

// waitSETs waits for a verified session-revoked SET per Kratos and
// Hydra session of live.
func waitSETs(t *testing.T, rc *setReceiver, live map[string]string,
	logs *logbuf.Buffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, errs := rc.claims()
		if len(errs) > 0 {
			t.Fatalf("the receiver refused SETs: %v", errs)
		}
		seen := map[string]bool{}
		for _, c := range got {
			sub, _ := c["sub_id"].(map[string]any)
			ses, _ := sub["session"].(map[string]any)
			if id, ok := ses["id"].(string); ok {
				seen[id] = true
			}
		}
		n := 0
		for _, ext := range live {
			if seen[ext] {
				n++
			}
		}
		if n == len(live) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("SETs for %d of %d sessions; got %v\nrun logged:\n%s",
				n, len(live), got, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantAudit reads the audit trail through the API and checks that the
// termination, its revocations, the lock and the API writes are there
// with the calling token as the actor, and its secret nowhere.
func wantAudit(t *testing.T, c apiClient, secret string) {
	t.Helper()
	var page struct {
		Items []store.AuditEntry `json:"items"`
	}
	c.must(200, "GET", "/v1/audit?limit=1000", nil, &page)
	events := map[string]string{}
	for _, e := range page.Items {
		events[e.Event] = e.Actor
	}
	for _, ev := range []string{"operator.revoke", "lock.placed",
		"session.revoked", "api.write"} {
		if !strings.Contains(events[ev], "token:oncall(") {
			t.Fatalf("audit event %s by %q, want the oncall token", ev,
				events[ev])
		}
	}
	raw, _ := json.Marshal(page.Items)
	if strings.Contains(string(raw), secret) {
		t.Fatal("the token's secret is in the audit trail")
	}
}
