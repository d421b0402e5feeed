package engine

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// TestAnAlertDatedInTheFutureIsDatedWhenReceived: an exposure alert
// dated 9999-12-31 (a scanner's clock, a forged payload) made the
// credential's exposure begin in 9999, so its days since exposure stayed
// 0 and the exposed-still-valid sweep would never act on it. A signal
// dated after it was received is dated when it was received.
func TestAnAlertDatedInTheFutureIsDatedWhenReceived(t *testing.T) {
	st := demoRegistry(t)
	now := time.Now().UTC().Truncate(time.Second)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := NewPipeline(st, shippedPolicies(t), Guardrails{},
		func() time.Time { return now }, log)
	alert := retyped(t,
		"../testdata/alerts/03-github-secret-scanning-pat-created.json",
		`"updated_at": "2026-11-30T11:02:19Z"`,
		`"updated_at": "9999-12-31T23:59:59Z"`)
	out, err := p.Process(t.Context(), alert)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Signal.Time.Equal(now) || !out.Input.Signal.Time.Equal(now) {
		t.Errorf("signal dated %s, the policy shown %s; want %s",
			out.Signal.Time, out.Input.Signal.Time, now)
	}
	if got := out.Signal.Attributes["time_claimed"]; got != "9999-12-31T23:59:59Z" {
		t.Errorf("time_claimed = %v, want the alert's own time", got)
	}
	for _, c := range out.Input.Credentials {
		if c.Exposure != nil && c.Exposure.At.After(now) {
			t.Errorf("credential %s exposed at %s, after now", c.ID,
				c.Exposure.At)
		}
	}
	exps, err := st.ListExposures(t.Context(), store.ExposureFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exps {
		if e.FirstSeen.After(now) || e.CheckedAt.After(now) {
			t.Errorf("exposure %s first seen %s, checked %s: after now",
				e.ID, e.FirstSeen, e.CheckedAt)
		}
	}
	if len(exps) == 0 {
		t.Error("no exposure recorded")
	}
}
