package engine

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

// A pipeline given a mapping file's mappings decodes an alert no
// built-in decoder knows, resolves whom it names and decides; without
// them the alert is a decode error, dead-lettered as before.
func TestAPipelineDecodesWithItsMappings(t *testing.T) {
	st := demoRegistry(t)
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	alert, err := os.ReadFile(
		"../testdata/mappings/alerts/chronicle-rule-detection-alice.json")
	if err != nil {
		t.Fatal(err)
	}
	bare := NewPipeline(st, shippedPolicies(t), Guardrails{},
		func() time.Time { return now }, log)
	_, err = bare.Process(t.Context(), alert)
	var poison *PoisonError
	if !errors.As(err, &poison) || poison.Code != CodeDecodeError ||
		!errors.Is(err, signals.ErrUnknownFormat) {
		t.Fatalf("without mappings: %v, want a decode error", err)
	}
	m, err := signals.LoadMappings("../testdata/mappings/mappings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mapped := NewPipeline(st, shippedPolicies(t), Guardrails{},
		func() time.Time { return now }, log)
	mapped.decoder = m
	out, err := mapped.Process(t.Context(), alert)
	if err != nil {
		t.Fatal(err)
	}
	if out.Signal.Format != "generic:chronicle" ||
		len(out.Input.Principals) != 1 || out.Input.Principals[0].ID != "alice" {
		t.Errorf("format %s, principals %+v", out.Signal.Format,
			out.Input.Principals)
	}
}
