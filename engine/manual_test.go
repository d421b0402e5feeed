package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
	"github.com/killswitch-dev/killswitch/store/sqlite"
)

func demoStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ks.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	inv, err := inventory.Load("../testdata/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Import(ctx, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestManualRevokeRefusesWhatTheRegistryDoesNotHold(t *testing.T) {
	st := demoStore(t)
	x := NewExecutor(st, connectors.Set{}, nil, ExecutorConfig{}, time.Now,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	base := ManualRequest{Operator: "tester", Reason: "INC-1"}
	cases := []struct {
		name string
		edit func(*ManualRequest)
		want error
	}{
		{"An unknown principal", func(r *ManualRequest) { r.PrincipalID = "nobody" },
			store.ErrNotFound},
		{"An unknown session", func(r *ManualRequest) { r.SessionID = "nosuch" },
			store.ErrNotFound},
		{"An unknown credential", func(r *ManualRequest) { r.CredentialID = "nosuch" },
			store.ErrNotFound},
		{"No target", func(*ManualRequest) {}, ErrBadRequest},
		{"No reason", func(r *ManualRequest) { r.PrincipalID, r.Reason = "alice", " " },
			ErrBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := base
			c.edit(&req)
			acts, err := x.Revoke(context.Background(), st, req)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v (actions %+v)", err, c.want, acts)
			}
		})
	}
	recs, err := st.ListSignals(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 {
		t.Errorf("refused requests recorded %d signals", len(recs))
	}
}

// TestManualRevokeByAnAliasNamesTheIdToGive: a responder who pastes an
// e-mail or an access key id into revoke was told only that it "is not
// in the registry", as if the account were unknown, while a lock on the
// same value named the principal to give.
func TestManualRevokeByAnAliasNamesTheIdToGive(t *testing.T) {
	st := demoStore(t)
	x := NewExecutor(st, connectors.Set{}, nil, ExecutorConfig{}, time.Now,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	cases := []struct {
		name string
		req  ManualRequest
		want string
	}{
		{"A principal's e-mail", ManualRequest{PrincipalID: "alice@example.com"},
			"it is an alias of principal alice"},
		{"A principal's user name, in capitals", ManualRequest{PrincipalID: "ALICE"},
			"it is an alias of principal alice"},
		{"A principal's access key id", ManualRequest{PrincipalID: "AKIAALICEDEMO0000001"},
			"it is an alias of principal alice"},
		{"A credential's access key id", ManualRequest{CredentialID: "AKIAALICEDEMO0000001"},
			"it is an alias of credential alice-aws-key"},
		{"A credential named by its owner's e-mail", ManualRequest{CredentialID: "alice@example.com"},
			"is not in the registry: not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.Operator, c.req.Reason = "tester", "INC-1"
			_, err := x.Revoke(context.Background(), st, c.req)
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("err = %v, want one wrapping %v", err, store.ErrNotFound)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, does not say %q", err, c.want)
			}
		})
	}
}

func TestManualRevokeOfASetRevokesThoseSessionsOnly(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	x := NewExecutor(st, connectors.Set{}, nil, ExecutorConfig{}, time.Now,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	set := []string{"alice-okta-laptop", "frank-okta-web"}
	acts, err := x.Revoke(ctx, st, ManualRequest{Operator: "tester",
		Reason: "INC-2", SessionIDs: set})
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 1 || acts[0].State != store.ActionDone {
		t.Fatalf("actions = %+v, want one done", acts)
	}
	for id, want := range map[string]string{"alice-okta-laptop": store.StatusRevoked,
		"frank-okta-web": store.StatusRevoked, "alice-okta-phone": store.StatusActive} {
		s, err := st.GetSession(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if s.Status != want {
			t.Errorf("session %s is %s, want %s", id, s.Status, want)
		}
	}
	_, err = x.Revoke(ctx, st, ManualRequest{Operator: "tester",
		Reason: "INC-2", SessionIDs: []string{"alice-okta-phone", "nosuch"}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a set with an unknown session: err = %v, want not found", err)
	}
}

func TestManualRevokeOfASetAuditsTheFilterItCameFrom(t *testing.T) {
	st := demoStore(t)
	x := NewExecutor(st, connectors.Set{}, nil, ExecutorConfig{}, time.Now,
		slog.New(slog.DiscardHandler))
	_, err := x.Revoke(t.Context(), st, ManualRequest{Operator: "kim",
		Reason: "INC-7", SessionIDs: []string{"alice-okta-phone"},
		Filter: map[string]string{"provider": "okta", "principal": "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	audit, err := st.ListAudit(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) == 0 || !strings.Contains(string(audit[0].Details),
		`"filter":{"principal":"alice","provider":"okta"}`) {
		t.Fatalf("first audit entry %+v, want the request with its filter", audit)
	}
	want := `{"operator":"kim","reason":"INC-7",` +
		`"session_ids":["alice-okta-phone"],`
	if d := string(audit[0].Details); !strings.HasPrefix(d, want) {
		t.Errorf("audit details %s, want snake_case keys and no empty "+
			"targets, starting %s", d, want)
	}
}
