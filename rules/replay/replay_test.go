package replay_test

import (
	"context"
	"encoding/json"
	"testing"
	"testing/fstest"
	"time"

	"github.com/killswitch-dev/killswitch/policies"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/rules/replay"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

const inventory = `principals:
  - id: ann
    kind: human
    aliases: [{type: email, value: ann@example.com}]
    credentials: [{id: ann-key, kind: api_key, store: github}]
    sessions:
      - {id: ann-web, provider: okta, kind: browser}
      - {id: ann-gh, provider: github, kind: token, credential: ann-key}
      - {id: ann-old, provider: okta, kind: browser, status: revoked}
`

func registry(t *testing.T) store.Store {
	t.Helper()
	st, err := replay.ParseInventory(context.Background(), []byte(inventory), "inv", now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func risc(t *testing.T) signals.Signal {
	t.Helper()
	sig, err := signals.Decode([]byte(`{"iss": "https://idp.example.com/", "jti": "r1",
		"iat": 1795960800, "sub_id": {"format": "email", "email": "ann@example.com"},
		"events": {"https://schemas.openid.net/secevent/risc/event-type/account-disabled": {}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestReplayResolvesWhatActionsCut(t *testing.T) {
	ps, err := rules.Load(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	res, err := replay.Replayer{Registry: registry(t)}.Replay(context.Background(), ps, risc(t), now)
	if err != nil {
		t.Fatal(err)
	}
	want := replay.Impact{Principals: []string{"ann"}, Sessions: []string{"ann-gh", "ann-web"},
		Credentials: []string{"ann-key"}, Disabled: []string{"ann"}}
	if got, _ := json.Marshal(res.Cut); string(got) != mustJSON(want) {
		t.Errorf("cut = %s, want %s", got, mustJSON(want))
	}
	if res.Revision != ps.Revision() || len(res.Actions) != 3 {
		t.Errorf("revision %s, %d actions; want %s, 3", res.Revision, len(res.Actions), ps.Revision())
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sessionsOnly revokes the principal's okta sessions and nothing else.
const sessionsOnly = `package killswitch.response

default decision := {"actions": []}

decision := {"actions": [{"kind": "revoke_sessions", "scope": "provider:okta",
	"target": {"type": "principal", "id": p.id}, "reason": "r", "rule": "x"}]} if {
	some p in input.principals
}
`

func TestBacktestReportsTheDifferences(t *testing.T) {
	current, err := rules.Load(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	candidate, err := rules.Load(context.Background(), fstest.MapFS{
		"main.rego": {Data: []byte(sessionsOnly)}})
	if err != nil {
		t.Fatal(err)
	}
	comps, err := replay.Replayer{Registry: registry(t)}.Backtest(context.Background(),
		current, candidate, []replay.Entry{{Source: "risc.json", Signal: risc(t), Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	c := comps[0]
	if !c.Differs() {
		t.Fatal("the two policies decide alike, want a difference")
	}
	wantRemoved := replay.Impact{Sessions: []string{"ann-gh"},
		Credentials: []string{"ann-key"}, Disabled: []string{"ann"}}
	if mustJSON(c.Removed) != mustJSON(wantRemoved) || !c.Added.Empty() {
		t.Errorf("removed %s, added %s; want removed %s and nothing added",
			mustJSON(c.Removed), mustJSON(c.Added), mustJSON(wantRemoved))
	}
	if c.Candidate.Cut.String() != "sessions ann-web" {
		t.Errorf("candidate cuts %q, want %q", c.Candidate.Cut, "sessions ann-web")
	}
}

func TestStoredSignalsWithinTheWindow(t *testing.T) {
	st := registry(t)
	ctx := context.Background()
	for i, day := range []int{1, 5, 9} {
		sig := signals.Signal{DedupKey: string(rune('a' + i)),
			Time: time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC)}
		raw, _ := json.Marshal(sig)
		rec := store.SignalRecord{ID: sig.DedupKey, DedupKey: sig.DedupKey, Time: sig.Time,
			ReceivedAt: sig.Time.Add(time.Minute), Signal: raw}
		if _, err := st.RecordSignal(ctx, rec, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := replay.StoredSignals(ctx, st, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Signal.DedupKey != "b" ||
		!entries[0].Now.Equal(time.Date(2026, 11, 5, 0, 1, 0, 0, time.UTC)) {
		t.Errorf("entries = %+v, want signal b at its receipt time", entries)
	}
}
