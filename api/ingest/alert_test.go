package ingest

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/signals"
)

// An ingester given the engine's mapping file decodes what the engine
// would: an alert a mapping reads is accepted at the webhook, not
// rejected as of unknown format while Kafka's consumer would take it.
func TestAnIngesterDecodesWithItsDecoder(t *testing.T) {
	alert, err := os.ReadFile(
		"../../testdata/mappings/alerts/chronicle-rule-detection-alice.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := signals.LoadMappings("../../testdata/mappings/mappings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mapped, err := New(Config{Brokers: []string{"127.0.0.1:1"}, Decoder: m},
		nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer mapped.Close()
	bare, err := New(Config{Brokers: []string{"127.0.0.1:1"}}, nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	if a := mapped.Decode(1, alert); a.Err != nil ||
		a.Signal.Format != "generic:chronicle" {
		t.Errorf("with mappings: %v, %v", a.Signal.Format, a.Err)
	}
	var line bytes.Buffer
	if err := json.Compact(&line, alert); err != nil {
		t.Fatal(err)
	}
	body := append(append([]byte("\n"), line.Bytes()...), '\n')
	if as := mapped.Split(body); len(as) != 1 || as[0].Err != nil || as[0].Line != 2 {
		t.Errorf("NDJSON with mappings: %d alert(s)", len(as))
	}
	if a := bare.Decode(1, alert); a.Reason() != ReasonUnknownFormat {
		t.Errorf("without mappings: reason %q (%v)", a.Reason(), a.Err)
	}
}
