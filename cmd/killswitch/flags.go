package main

import (
	"github.com/spf13/pflag"

	"github.com/killswitch-dev/killswitch/engine"
)

// addEngineFlags declares the flags run and demo share.
func addEngineFlags(fl *pflag.FlagSet, cfg *engine.ServiceConfig, protected *[]string) {
	fl.StringVar(&cfg.Consumer.Topic, "topic", engine.DefaultAlertsTopic,
		"Kafka topic the alerts arrive on")
	fl.StringVar(&cfg.Consumer.DLQTopic, "dlq-topic", engine.DefaultDLQTopic,
		"dead-letter topic for payloads that can never be processed")
	fl.StringVar(&cfg.RevocationsTopic, "revocations-topic",
		engine.DefaultRevocationsTopic, "topic revocation events are published to")
	fl.StringVar(&cfg.Consumer.GroupID, "group", engine.DefaultGroupID,
		"Kafka consumer group; instances in one group share the partitions")
	fl.IntVar(&cfg.Consumer.Workers, "workers", 4,
		"messages processed in parallel (one principal's always in order)")
	fl.BoolVar(&cfg.Guardrails.DryRun, "dry-run", false,
		"plan and audit actions but execute none")
	fl.StringSliceVar(protected, "protected", nil,
		"principal ids never acted on automatically (besides break-glass ones)")
}
