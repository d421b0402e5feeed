package engine

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

// lookingIdP revokes everything and, when it can look, answers each
// verification with the check set for the session's external id.
type lookingIdP struct {
	checks map[string]connectors.Check
}

func (lookingIdP) Provider() string { return "idp" }

func (lookingIdP) Revoke(context.Context, connectors.Request) connectors.Result {
	return connectors.Result{Outcome: connectors.Done}
}

func (p lookingIdP) Verify(_ context.Context,
	req connectors.Request) connectors.Verification {
	return connectors.Verification{Check: p.checks[req.Session.ExternalID],
		Evidence: "looked up " + req.Session.ExternalID}
}

// blindIdP revokes but cannot look.
type blindIdP struct{}

func (blindIdP) Provider() string { return "idp" }

func (blindIdP) Revoke(context.Context, connectors.Request) connectors.Result {
	return connectors.Result{Outcome: connectors.Done}
}

func TestVerificationAfterRevocation(t *testing.T) {
	c, r, f := connectors.Confirmed, connectors.Requested, connectors.Failed
	cases := []struct {
		name      string
		conn      connectors.Connector
		wantState string
		wantCheck connectors.Check
	}{
		{"Sessions the provider no longer honours are confirmed",
			lookingIdP{map[string]connectors.Check{"a": c, "b": c}},
			store.ActionDone, c},
		{"A session not yet observable makes the action requested",
			lookingIdP{map[string]connectors.Check{"a": c, "b": r}},
			store.ActionDone, r},
		{"A session still honoured sends the action back for another try",
			lookingIdP{map[string]connectors.Check{"a": c, "b": f}},
			store.ActionPending, f},
		{"A connector that cannot look records no verification",
			blindIdP{}, store.ActionDone, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := verifyStore(t)
			x := verifyExecutor(t, st, tc.conn)
			acts, err := x.Revoke(t.Context(), st, ManualRequest{
				Operator: "dana", Reason: "test", PrincipalID: "ada"})
			if err != nil {
				t.Fatal(err)
			}
			a, err := st.GetAction(t.Context(), acts[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if a.State != tc.wantState {
				t.Fatalf("state %q (%s), want %q", a.State, a.LastError,
					tc.wantState)
			}
			wantVerification(t, st, a, tc.wantCheck)
		})
	}
}

// wantVerification checks the action's recorded verification: on its
// result when it finished, in its last error when it is retried.
func wantVerification(t *testing.T, st store.Store, a store.Action,
	want connectors.Check) {
	t.Helper()
	if a.State == store.ActionPending {
		s, err := st.GetSession(t.Context(), "ada-b")
		if err != nil || s.Status != store.StatusActive {
			t.Fatalf("session still honoured: %+v, %v; want it active", s, err)
		}
		return
	}
	var res struct {
		Verification  connectors.Check `json:"verification"`
		Verifications map[string]struct {
			Check    connectors.Check `json:"check"`
			Evidence string           `json:"evidence"`
		} `json:"verifications"`
	}
	if err := json.Unmarshal(a.Result, &res); err != nil {
		t.Fatal(err)
	}
	if res.Verification != want {
		t.Fatalf("verification %q, want %q: %s", res.Verification, want,
			a.Result)
	}
	if want != "" && res.Verifications["ada-b"].Evidence != "looked up b" {
		t.Fatalf("evidence for ada-b missing: %s", a.Result)
	}
	wantAuditedCheck(t, st, want != "")
}

// wantAuditedCheck checks that the session's audit entry carries the
// verification when there was one.
func wantAuditedCheck(t *testing.T, st store.Store, want bool) {
	t.Helper()
	entries, err := st.ListAudit(t.Context(), store.AuditFilter{Subject: "ada-b"})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit of ada-b: %d entries, %v; want 1", len(entries), err)
	}
	var d struct {
		Verification *struct {
			Check connectors.Check `json:"check"`
		} `json:"verification"`
	}
	if err := json.Unmarshal(entries[0].Details, &d); err != nil {
		t.Fatal(err)
	}
	if (d.Verification != nil) != want {
		t.Fatalf("audit details %s: verification present = %v, want %v",
			entries[0].Details, d.Verification != nil, want)
	}
}

// verifyStore is a registry with ada and two of her sessions at "idp",
// external ids a and b.
func verifyStore(t *testing.T) store.Store {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ks.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	must(st.PutPrincipal(ctx, store.Principal{ID: "ada",
		Kind: store.KindHuman, Status: "active", CreatedAt: now}))
	for _, ext := range []string{"a", "b"} {
		must(st.PutSession(ctx, store.Session{ID: "ada-" + ext,
			PrincipalID: "ada", Provider: "idp", ExternalID: ext,
			Kind: "browser", CreatedAt: now}))
	}
	return st
}

func verifyExecutor(t *testing.T, st store.Store,
	c connectors.Connector) *Executor {
	t.Helper()
	conns, err := connectors.NewSet(c)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return NewExecutor(st, conns, nil, ExecutorConfig{},
		time.Now, log)
}
