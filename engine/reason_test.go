package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
)

// TestAHugeAlertTitleStillRevokesAndTells: the shipped policies quote a
// detector's title in their reasons, and an alert of a megabyte is
// taken; its revocation was cut in the registry, but each revocation
// event carried the whole reason, past what Kafka takes, so the action
// was retried for a day and then failed while enforcement points were
// never told. A reason is kept to MaxReasonBytes, saying how much was
// cut.
func TestAHugeAlertTitleStillRevokesAndTells(t *testing.T) {
	r := newRig(t, "../testdata/inventory.yaml", nil)
	src := string(readFile(t,
		"../testdata/alerts/02-ocsf-detection-finding-frank.json"))
	title := "Likely account takeover of frank@example.com"
	alert := strings.Replace(src, title,
		title+" é"+strings.Repeat("A", 1200000), 1)
	r.start()
	r.send([2][]byte{[]byte("frank"), []byte(alert)})
	r.waitFor("the revocation done", func() bool {
		acts, err := r.store.ListActions(context.Background(),
			store.ActionFilter{})
		return err == nil && len(acts) == 1 &&
			acts[0].State == store.ActionDone
	})
	r.stop()

	events := r.readAll(DefaultRevocationsTopic)
	if len(events) != 2 {
		t.Fatalf("%d revocation events, want frank's 2 sessions", len(events))
	}
	var ev RevocationEvent
	if err := json.Unmarshal(events[0].Value, &ev); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ev.Reason, title) || len(ev.Reason) > MaxReasonBytes+50 ||
		!strings.HasSuffix(ev.Reason, " bytes cut)") {
		t.Errorf("reason of %d bytes, want the title and at most %d "+
			"bytes, saying what was cut: %.200s…", len(ev.Reason),
			MaxReasonBytes, ev.Reason)
	}
}

// TestBoundedReasonCutsAtACharacter: a reason cut in the middle of a
// character would not be UTF-8.
func TestBoundedReasonCutsAtACharacter(t *testing.T) {
	long := strings.Repeat("a", MaxReasonBytes-1) + "é and more"
	got := boundedReason(long)
	want := strings.Repeat("a", MaxReasonBytes-1) + "… (11 bytes cut)"
	if got != want {
		t.Errorf("boundedReason = …%q, want …%q", got[len(got)-30:],
			want[len(want)-30:])
	}
	if short := "takeover"; boundedReason(short) != short {
		t.Errorf("a short reason was changed: %q", boundedReason(short))
	}
}
