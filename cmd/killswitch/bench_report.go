package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// benchReport is what bench prints; -o json prints it as it is.
type benchReport struct {
	Principals     int      `json:"principals"`
	Alerts         int      `json:"alerts"`
	Templates      int      `json:"sample_alerts_used"`
	Skipped        []string `json:"sample_alerts_skipped,omitempty"`
	PolicyRevision string   `json:"policy_revision"`
	Inventory      struct {
		Principals    int     `json:"principals"`
		Aliases       int     `json:"aliases"`
		Sessions      int     `json:"sessions"`
		Credentials   int     `json:"credentials"`
		ImportSeconds float64 `json:"import_seconds"`
	} `json:"inventory"`
	Result struct {
		Decided      int `json:"decided"`
		DeadLettered int `json:"dead_lettered"`
		Deduplicated int `json:"deduplicated"`
		Unprocessed  int `json:"unprocessed"`
		// DecideSeconds is from the first publish to the last alert's
		// actions in the outbox; IdleSeconds to the outbox empty.
		DecideSeconds   float64 `json:"decide_seconds"`
		IdleSeconds     float64 `json:"idle_seconds"`
		AlertsPerSecond float64 `json:"alerts_per_second"`
	} `json:"result"`
	Latency latencyReport `json:"decision_latency_ms"`
	Actions struct {
		ByState   map[string]int `json:"by_state"`
		Executed  int            `json:"executed"`
		PerSecond float64        `json:"executed_per_second"`
	} `json:"actions"`
	Memory struct {
		PeakHeapBytes      uint64  `json:"peak_heap_bytes"`
		AllocBytesPerAlert float64 `json:"alloc_bytes_per_alert"`
		AllocsPerAlert     float64 `json:"allocs_per_alert"`
	} `json:"memory"`
	StoreBytes int64 `json:"store_bytes"`
	Lookups    struct {
		Sessions     int     `json:"sessions"`
		OneGoroutine float64 `json:"per_second_one_goroutine"`
		Goroutines   int     `json:"goroutines"`
		AllCores     float64 `json:"per_second_all_cores"`
	} `json:"introspection_lookups"`
}

// latencyReport is the decision latency, decode to outbox, in
// milliseconds.
type latencyReport struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func (r *benchReport) inventoryAdd(p, a, s, c int) {
	i := &r.Inventory
	i.Principals += p
	i.Aliases += a
	i.Sessions += s
	i.Credentials += c
}

// latencies is the percentiles of ds (nearest rank).
func latencies(ds []time.Duration) latencyReport {
	if len(ds) == 0 {
		return latencyReport{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(q*float64(len(s))+0.999999) - 1
		return ms(s[max(0, min(i, len(s)-1))])
	}
	return latencyReport{P50: at(0.50), P95: at(0.95), P99: at(0.99),
		Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// lost is an error when an alert was dead-lettered, deduplicated or not
// processed: every one was built to be decided.
func (r *benchReport) lost() error {
	res := r.Result
	if n := res.DeadLettered + res.Deduplicated + res.Unprocessed; n > 0 {
		return fmt.Errorf("bench: %d of %d alerts lost: %d dead-lettered, "+
			"%d deduplicated, %d not processed", n, r.Alerts,
			res.DeadLettered, res.Deduplicated, res.Unprocessed)
	}
	return nil
}

func (r *benchReport) print(g *globals, o outputFlag) error {
	if o == "json" {
		return printJSON(g.out, r)
	}
	w := g.out
	i, res, l, m := r.Inventory, r.Result, r.Latency, r.Memory
	fmt.Fprintf(w, "registry   %d principals, %d aliases, %d sessions, "+
		"%d credentials (imported in %.2fs)\n", i.Principals, i.Aliases,
		i.Sessions, i.Credentials, i.ImportSeconds)
	fmt.Fprintf(w, "alerts     %d from %d sample alerts; policies %s\n",
		r.Alerts, r.Templates, r.PolicyRevision)
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "           skipped %s\n", s)
	}
	fmt.Fprintf(w, "processed  %d decided, %d dead-lettered, %d deduplicated, "+
		"%d not processed\n", res.Decided, res.DeadLettered,
		res.Deduplicated, res.Unprocessed)
	fmt.Fprintf(w, "throughput %.0f alerts/s end to end (%d in %.2fs)\n",
		res.AlertsPerSecond, r.Alerts-res.Unprocessed, res.DecideSeconds)
	fmt.Fprintf(w, "latency    decode to outbox p50 %.2f ms, p95 %.2f ms, "+
		"p99 %.2f ms, max %.2f ms\n", l.P50, l.P95, l.P99, l.Max)
	fmt.Fprintf(w, "actions    %d executed, %.0f/s (outbox empty after "+
		"%.2fs); by state: %s\n", r.Actions.Executed, r.Actions.PerSecond,
		res.IdleSeconds, stateList(r.Actions.ByState))
	fmt.Fprintf(w, "memory     peak heap %s; %.0f allocs, %s per alert "+
		"(whole process: broker and producer included)\n",
		sizeText(float64(m.PeakHeapBytes)), m.AllocsPerAlert,
		sizeText(m.AllocBytesPerAlert))
	fmt.Fprintf(w, "store      %s on disk\n", sizeText(float64(r.StoreBytes)))
	lk := r.Lookups
	fmt.Fprintf(w, "introspect %.0f lookups/s on one goroutine, %.0f/s on %d "+
		"(by session id, %d sessions)\n", lk.OneGoroutine, lk.AllCores,
		lk.Goroutines, lk.Sessions)
	return nil
}

func stateList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		keys[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

// sizeText shows a byte count in binary units.
func sizeText(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}
