package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors/peertest"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

const peerPassword = "correct-horse-battery-9"

// oryStack is a real Kratos and Hydra where ada@example.com has two
// Kratos sessions and, as Kratos identity id, a grant at one Hydra
// client; and a registry that knows ada by her email only.
type oryStack struct {
	k        *peertest.Kratos
	h        *peertest.Hydra
	identity string
	sessions []peertest.Session
	tokens   peertest.Tokens
	db, cfg  string
}

func newOryStack(t *testing.T) *oryStack {
	t.Helper()
	s := &oryStack{k: peertest.StartKratos(t), h: peertest.StartHydra(t)}
	s.identity = s.k.CreateIdentity(t, "ada@example.com", peerPassword)
	for range 2 {
		s.sessions = append(s.sessions,
			s.k.Login(t, "ada@example.com", peerPassword))
	}
	s.tokens = s.h.Grant(t, s.h.CreateClient(t, "notes-app"), s.identity)
	dir := t.TempDir()
	s.db, s.cfg = filepath.Join(dir, "ks.db"), filepath.Join(dir, "ks.yaml")
	writeTestFile(t, filepath.Join(dir, "inventory.yaml"), `principals:
  - id: ada
    kind: human
    aliases:
      - {type: email, value: ada@example.com}
`)
	writeTestFile(t, s.cfg, fmt.Sprintf(`connectors:
  - {name: kratos, type: kratos, base_url: "%s", retry: {attempts: 2}}
  - {name: hydra, type: hydra, base_url: "%s", retry: {attempts: 2}}
`, s.k.AdminURL, s.h.AdminURL))
	mustKS(t, "--store", s.db, "import", filepath.Join(dir, "inventory.yaml"))
	return s
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustKS(t *testing.T, args ...string) string {
	t.Helper()
	out, code := ks(t, args...)
	if code != 0 {
		t.Fatalf("killswitch %s exited %d:\n%s", strings.Join(args, " "),
			code, out)
	}
	return out
}

// sync runs killswitch sync: Kratos first, whose sync attaches the
// identity id that Hydra knows ada by, then every provider.
func (s *oryStack) sync(t *testing.T) {
	t.Helper()
	mustKS(t, "--store", s.db, "sync", "kratos", "--config", s.cfg)
	mustKS(t, "--store", s.db, "sync", "--config", s.cfg)
}

// registrySessions reads ada's sessions from the registry.
func (s *oryStack) registrySessions(t *testing.T) []store.Session {
	t.Helper()
	out := mustKS(t, "--store", s.db, "sessions", "list", "--principal",
		"ada", "-o", "json")
	var ss []store.Session
	if err := json.Unmarshal([]byte(out), &ss); err != nil {
		t.Fatalf("sessions list: %v\n%s", err, out)
	}
	return ss
}

func TestSyncBringsRealKratosSessionsIntoTheRegistry(t *testing.T) {
	s := newOryStack(t)
	s.sync(t)
	var kratos, hydra []string
	for _, ses := range s.registrySessions(t) {
		if ses.Status != store.StatusActive || ses.CreatedAt.IsZero() ||
			ses.Effect != store.EffectImmediate {
			t.Fatalf("synced session %+v: want active, created and immediate", ses)
		}
		switch ses.Provider {
		case "kratos":
			kratos = append(kratos, ses.ExternalID)
		case "hydra":
			hydra = append(hydra, ses.ExternalID)
		}
	}
	slices.Sort(kratos)
	want := []string{s.sessions[0].ID, s.sessions[1].ID}
	slices.Sort(want)
	if !slices.Equal(kratos, want) || len(hydra) != 1 {
		t.Fatalf("kratos sessions %v and hydra grants %v; want %v and one",
			kratos, hydra, want)
	}

	s.k.Login(t, "ada@example.com", peerPassword)
	out := mustKS(t, "--store", s.db, "sync", "kratos", "--config", s.cfg,
		"-o", "json")
	if !strings.Contains(out, `"added": 1`) || !strings.Contains(out, `"refreshed": 2`) {
		t.Fatalf("second sync after a new login:\n%s", out)
	}
}

func TestRunSyncsEveryInterval(t *testing.T) {
	s := newOryStack(t)
	_, stop := s.run(t, "300ms")
	defer stop()
	s.k.Login(t, "ada@example.com", peerPassword)
	deadline := time.Now().Add(60 * time.Second)
	for {
		n := 0
		for _, ses := range s.registrySessions(t) {
			if ses.Provider == "kratos" && ses.Status == store.StatusActive {
				n++
			}
		}
		if n == 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of ada's 3 Kratos sessions in the registry", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// accountDisabled is a RISC account-disabled event for ada.
const accountDisabled = `{"iss": "https://accounts.example.com/",
 "jti": "5f1c0e7a9b2d4c6e8a0b1c2d3e4f5a6b", "iat": 1796039100,
 "aud": "https://killswitch.example.com/ssf",
 "sub_id": {"format": "email", "email": "ada@example.com"},
 "events": {"https://schemas.openid.net/secevent/risc/event-type/account-disabled":
   {"reason": "hijacking"}}}`

func TestAnAlertOnKafkaRevokesAtRealKratosAndHydra(t *testing.T) {
	s := newOryStack(t)
	s.sync(t)
	broker, stop := s.run(t, "0")
	alert := filepath.Join(t.TempDir(), "alert.json")
	writeTestFile(t, alert, accountDisabled)
	mustKS(t, "send", "--kafka-brokers", broker, alert)
	s.waitRevoked(t, 3)
	s.wantConfirmed(t)
	stop()

	for i, ses := range s.sessions {
		if got := s.k.Whoami(t, ses.Token); got != http.StatusUnauthorized {
			t.Errorf("Kratos whoami of session %d = %d, want 401", i, got)
		}
	}
	if s.h.Introspect(t, s.tokens.Access) || s.h.Introspect(t, s.tokens.Refresh) {
		t.Error("Hydra introspection still says active: true")
	}
}

// run starts killswitch run with the connectors, the embedded broker and
// a sync every interval, and returns the broker's address and a function
// that stops it.
func (s *oryStack) run(t *testing.T, interval string) (string, func()) {
	t.Helper()
	port := freeTestPort(t)
	run := exec.Command(binary, "--store", s.db, "run", "--listen", "127.0.0.1:0", "--config", s.cfg,
		"--embedded-broker-port", fmt.Sprint(port), "--sync-interval", interval)
	var logs bytes.Buffer
	run.Stderr = &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = run.Process.Kill() })
	broker := fmt.Sprintf("127.0.0.1:%d", port)
	waitDial(t, broker)
	return broker, func() {
		_ = run.Process.Signal(syscall.SIGTERM)
		if err := waitExit(run, 30*time.Second); err != nil {
			t.Fatalf("run did not stop on SIGTERM: %v\n%s", err, logs.String())
		}
	}
}

// waitRevoked waits until n of ada's sessions are revoked in the
// registry.
func (s *oryStack) waitRevoked(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		revoked := 0
		for _, ses := range s.registrySessions(t) {
			if ses.Status == store.StatusRevoked {
				revoked++
			}
		}
		if revoked == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of ada's sessions revoked, want %d", revoked, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wantConfirmed waits for the revoke_sessions action to finish and
// checks that it did with every revocation confirmed at its provider.
func (s *oryStack) wantConfirmed(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		a, ok := s.revokeAction(t)
		if ok && a.State != store.ActionRunning && a.State != store.ActionPending {
			var res struct {
				Verification string `json:"verification"`
			}
			if a.State != store.ActionDone || json.Unmarshal(a.Result, &res) != nil ||
				res.Verification != "confirmed" {
				t.Fatalf("action %s: state %s, result %s; want done and confirmed",
					a.ID, a.State, a.Result)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no finished revoke_sessions action: %+v", a)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// revokeAction reads the revoke_sessions action from the registry.
func (s *oryStack) revokeAction(t *testing.T) (store.Action, bool) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	acts, err := st.ListActions(context.Background(), store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.Kind == "revoke_sessions" {
			return a, true
		}
	}
	return store.Action{}, false
}
