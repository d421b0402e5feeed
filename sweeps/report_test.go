package sweeps

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
)

func TestAFailedRunKeepsWhyInItsReport(t *testing.T) {
	r := newRig(t, day0) // no connector that can list
	rep, err := r.runner.Run(context.Background(), "inventory-sync", day0, 0)
	if err == nil || rep == nil {
		t.Fatalf("inventory-sync without a lister: %v, %v; want a failed report",
			rep, err)
	}
	runs, err := r.store.ListSweepRuns(context.Background(), "inventory-sync", 1)
	must(t, err)
	var stored Report
	must(t, json.Unmarshal(runs[0].Report, &stored))
	if runs[0].Outcome != store.SweepFailed ||
		!strings.Contains(stored.Error, "no connector that can list") {
		t.Fatalf("run %s, report error %q; want failed, saying why",
			runs[0].Outcome, stored.Error)
	}
	var text strings.Builder
	must(t, stored.WriteText(&text))
	if !strings.Contains(text.String(), "failed: sweep inventory-sync: no "+
		"connector that can list") {
		t.Fatalf("the text report does not say why it failed:\n%s", text.String())
	}
}
