package sweeps

import (
	"context"
	"testing"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/kratos"
	"github.com/killswitch-dev/killswitch/connectors/peertest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/inventorysync"
	"github.com/killswitch-dev/killswitch/store"
)

// The inventory-sync sweep against a real Ory Kratos: a session opened
// there after the last sync is in the registry after the sweep.
func TestInventorySyncBringsInTheSessionsOfTheRealKratos(t *testing.T) {
	k := peertest.StartKratos(t)
	k.CreateIdentity(t, "ann@example.com", "correct horse battery staple")
	s := k.Login(t, "ann@example.com", "correct horse battery staple")

	r := newRig(t, day0)
	r.put(t, "ann", store.KindHuman, nil)
	ctx := context.Background()
	must(t, r.store.PutAlias(ctx, store.Alias{Type: "email",
		Value: "ann@example.com", PrincipalID: "ann"}))
	kc, err := kratos.New("kratos", "kratos", kratos.Config{
		HTTP: restclient.Config{BaseURL: k.AdminURL}}, r.runner.deps.Log)
	must(t, err)
	conns, err := connectors.NewSet(kc)
	must(t, err)
	r.runner.deps.Syncer = inventorysync.New(r.store, conns, r.clock.Now,
		r.runner.deps.Log)

	rep, err := r.runner.Run(ctx, "inventory-sync", day0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Examined != 1 || len(rep.Findings) != 1 ||
		rep.Findings[0].Subject != "provider:kratos" || len(rep.Errors) != 0 {
		t.Fatalf("report %+v: want ann examined and kratos's addition found", rep)
	}
	got, err := r.store.ListSessions(ctx, store.SessionFilter{
		PrincipalID: "ann", ExternalID: s.ID})
	must(t, err)
	if len(got) != 1 || got[0].Status != store.StatusActive {
		t.Fatalf("sessions of ann with Kratos id %s: %+v, want the live one",
			s.ID, got)
	}
}
