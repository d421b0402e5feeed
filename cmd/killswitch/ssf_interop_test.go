package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// peer is one `killswitch run` of an interop test: its own registry,
// its own embedded broker, its own listener.
type peer struct {
	name string
	db   string
	base string
	run  *exec.Cmd
	logs bytes.Buffer
}

// newPeer imports the demo inventory into a fresh registry of its own.
func newPeer(t *testing.T, name string) *peer {
	p := &peer{name: name, db: filepath.Join(t.TempDir(), name+".db")}
	mustKS(t, "--store", p.db, "import", "../../testdata/inventory.yaml")
	return p
}

// start runs `killswitch run` on port with args, env added to its
// environment, and waits until it listens.
func (p *peer) start(t *testing.T, port int, env []string, args ...string) {
	t.Helper()
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	p.run = exec.Command(binary, append([]string{"--store", p.db, "run",
		"--listen", listen, "--embedded-broker-port",
		fmt.Sprint(freeTestPort(t))}, args...)...)
	p.run.Env = append(os.Environ(), env...)
	p.run.Stderr = &p.logs
	if err := p.run.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.run.Process.Kill() })
	waitDial(t, listen)
}

// stop ends run with SIGTERM, as an operator would.
func (p *peer) stop(t *testing.T) {
	t.Helper()
	p.run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(p.run, 30*time.Second); err != nil {
		t.Fatalf("%s did not stop on SIGTERM: %v\n%s", p.name, err, p.logs.String())
	}
}

// statusesOf reads the statuses of a principal's sessions by id.
func statusesOf(c apiClient, principal string) map[string]string {
	var page struct {
		Items []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	c.must(200, "GET", "/v1/sessions?principal="+principal, nil, &page)
	out := map[string]string{}
	for _, s := range page.Items {
		out[s.ID] = s.Status
	}
	return out
}

// waitStatus waits up to 60s for B (c) to hold session of principal in
// status, and returns the statuses of the principal's sessions.
func waitStatus(t *testing.T, c apiClient, principal, session, status string,
	a, b *peer) map[string]string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := statusesOf(c, principal)
		if got[session] == status {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("B's %s is not %s within 60s: %v\nA logged:\n%s\n"+
				"B logged:\n%s", session, status, got, a.logs.String(),
				b.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// auditEntry is one entry of GET /v1/audit, as the interop test reads it.
type auditEntry struct {
	Event   string          `json:"event"`
	Subject string          `json:"subject"`
	Details json.RawMessage `json:"details"`
}

// setDedupKey is the dedup key the CAEP decoder gives a SET: its format,
// its issuer, and its jti (32 hex digits as killswitch mints them).
func setDedupKey(issuer string) *regexp.Regexp {
	return regexp.MustCompile(`^caep:` + regexp.QuoteMeta(issuer) + `#[0-9a-f]{32}$`)
}

// TestTwoDeploymentsShareARevocationOverSharedSignals proves that our
// transmitter and our receiver speak one protocol, through nothing but
// what an operator configures: instance A (--ssf-issuer) holds a push
// stream whose receiver is instance B's POST /v1/ssf/push, with an
// ingest token of B's registry as the stream's authorization header; B
// (--ssf-receiver-issuer A=A's JWKS URL) trusts A. A responder ends
// Alice's laptop session on A; A signs a CAEP session-revoked SET and
// pushes it; B verifies it against A's published JWKS, decodes the
// complex sub_id (Alice's e-mail and the session's provider id), and its
// shipped session_revoked policy ends that session, and only it, in B's
// registry. B's audit names A's issuer and SET (dedup key caep:ISS#jti)
// as the signal it decided on, and the verification event A sent when
// asked to verify the stream (SSF 1.0 section 8.1.4). A revocation made
// with `killswitch revoke --ssf-issuer` on A's registry reaches B too,
// through the queue A's run works.
func TestTwoDeploymentsShareARevocationOverSharedSignals(t *testing.T) {
	a, b := newPeer(t, "a"), newPeer(t, "b")
	portA, portB := freeTestPort(t), freeTestPort(t)
	a.base = fmt.Sprintf("http://127.0.0.1:%d", portA)
	b.base = fmt.Sprintf("http://127.0.0.1:%d", portB)
	issuerA, audienceB := a.base, b.base+"/v1/ssf/push"
	const ssfToken = "stream-admin-SECRET-of-a"
	pushToken := mintToken(t, b.db, "killswitch-a", "ingest")

	// B starts first: its first fetch of A's JWKS finds nothing there,
	// and a SET must still verify once A is up.
	b.start(t, portB, nil, "--ssf-receiver-issuer",
		issuerA+"="+issuerA+"/v1/ssf/jwks.json",
		"--ssf-receiver-audience", audienceB)
	a.start(t, portA, []string{"KILLSWITCH_SSF_TOKEN=" + ssfToken},
		"--ssf-issuer", issuerA)

	stream := apiClient{t: t, base: a.base, secret: ssfToken}
	var created struct {
		ID string `json:"stream_id"`
	}
	stream.must(201, "POST", "/v1/ssf/streams", map[string]any{
		"aud": audienceB,
		"delivery": map[string]any{"method": "urn:ietf:rfc:8935",
			"endpoint_url":         b.base + "/v1/ssf/push",
			"authorization_header": "Bearer " + pushToken},
		"events_requested": []string{
			"https://schemas.openid.net/secevent/caep/event-type/session-revoked"},
	}, &created)
	if got := stream.call("POST", "/v1/ssf/verify", map[string]any{
		"stream_id": created.ID, "state": "is-b-listening"}, nil); got != 204 {
		t.Fatalf("POST /v1/ssf/verify = %d, want 204", got)
	}

	responder := apiClient{t: t, base: a.base,
		secret: mintToken(t, a.db, "dana", "responder")}
	responder.must(200, "POST", "/v1/sessions/terminate", map[string]any{
		"session_id": "alice-okta-laptop", "reason": "laptop stolen, INC-77"}, nil)

	viewer := apiClient{t: t, base: b.base,
		secret: mintToken(t, b.db, "ops", "viewer")}
	got := waitStatus(t, viewer, "alice", "alice-okta-laptop", "revoked", a, b)
	if got["alice-okta-phone"] != "active" {
		t.Errorf("B's alice-okta-phone is %q: a SET about one session "+
			"ended another", got["alice-okta-phone"])
	}
	checkDecidedOnASETOf(t, viewer, issuerA)
	checkVerified(t, viewer, issuerA, "is-b-listening")

	// An operator's revoke at the command line, on A's registry, is
	// queued for A's streams when it names A's issuer; A's run pushes it.
	out := mustKS(t, "--store", a.db, "revoke", "--session",
		"alice-okta-phone", "--reason", "phone lost", "--ssf-issuer", issuerA)
	waitStatus(t, viewer, "alice", "alice-okta-phone", "revoked", a, b)
	if strings.Contains(out, "will not hear") {
		t.Errorf("revoke with --ssf-issuer warned of streams left out: %s", out)
	}
	out = mustKS(t, "--store", a.db, "revoke", "--session",
		"frank-okta-web", "--reason", "test")
	if !strings.Contains(out, "will not hear of these revocations") {
		t.Errorf("revoke without --ssf-issuer did not warn that A's "+
			"stream is left out: %s", out)
	}

	for _, p := range []*peer{a, b} {
		p.stop(t)
		for _, secret := range []string{ssfToken, pushToken} {
			if strings.Contains(p.logs.String(), secret) {
				t.Errorf("%s logged a secret", p.name)
			}
		}
	}
}

// checkDecidedOnASETOf asserts that B's audit holds the decision on a
// CAEP SET of issuer that revoked alice-okta-laptop.
func checkDecidedOnASETOf(t *testing.T, c apiClient, issuer string) {
	t.Helper()
	var page struct {
		Items []auditEntry `json:"items"`
	}
	c.must(200, "GET", "/v1/audit?event=signal.decided", nil, &page)
	key := setDedupKey(issuer)
	for _, e := range page.Items {
		var d struct {
			DedupKey string `json:"dedup_key"`
			Format   string `json:"format"`
			Actions  []struct {
				Kind   string `json:"kind"`
				Target string `json:"target"`
			} `json:"actions"`
		}
		json.Unmarshal(e.Details, &d)
		if !key.MatchString(d.DedupKey) || d.Format != "caep" {
			continue
		}
		for _, act := range d.Actions {
			if act.Kind == "revoke_sessions" &&
				act.Target == "session:alice-okta-laptop" {
				return
			}
		}
		t.Fatalf("B decided on A's SET %s without revoking the laptop "+
			"session: %s", d.DedupKey, e.Details)
	}
	t.Fatalf("B's audit has no decision on a SET of %s: %+v", issuer, page.Items)
}

// checkVerified asserts that B's audit holds the verification event of
// issuer with the state the stream's owner asked A for.
func checkVerified(t *testing.T, c apiClient, issuer, state string) {
	t.Helper()
	var page struct {
		Items []auditEntry `json:"items"`
	}
	c.must(200, "GET", "/v1/audit?event=ssf.stream_event", nil, &page)
	for _, e := range page.Items {
		var d map[string]string
		json.Unmarshal(e.Details, &d)
		if e.Subject == "verification" && d["iss"] == issuer && d["state"] == state {
			return
		}
	}
	t.Fatalf("B's audit has no verification from %s with state %q: %+v",
		issuer, state, page.Items)
}
