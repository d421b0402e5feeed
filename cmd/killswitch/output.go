package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// outputFlag is --output: json or text.
type outputFlag string

func (o outputFlag) validate() error {
	if o != "json" && o != "text" {
		return &exitError{code: 2,
			err: fmt.Errorf("--output: %q is not json or text", string(o))}
	}
	return nil
}

// checkLimit refuses a negative --limit.
func checkLimit(limit int) error {
	if limit < 0 {
		return &exitError{code: 2,
			err: fmt.Errorf("--limit: %d is negative (0 lists all)", limit)}
	}
	return nil
}

// brokerList splits --kafka-brokers, refusing an empty address: the
// Kafka client would read it as localhost:9092.
func brokerList(value string) ([]string, error) {
	brokers := strings.Split(value, ",")
	for i, b := range brokers {
		if strings.TrimSpace(b) == "" {
			return nil, &exitError{code: 2, err: fmt.Errorf(
				"--kafka-brokers: address %d of %q is empty", i+1, value)}
		}
	}
	return brokers, nil
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns; call flush when done.
func table(w io.Writer, header ...any) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row(tw, header...)
	return tw
}

func row(tw *tabwriter.Writer, cols ...any) {
	for i, c := range cols {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, cell(c))
	}
	fmt.Fprintln(tw)
}

func cell(v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return "-"
		}
		return x.UTC().Format(time.RFC3339)
	case string:
		if x == "" {
			return "-"
		}
		return oneLine(x)
	}
	return oneLine(fmt.Sprint(v))
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// short abbreviates a content hash ("sha256:0123456789ab…") for display.
func short(rev string) string {
	if len(rev) > 19 {
		return rev[:19]
	}
	return rev
}

// noteNone tells the operator, on stderr, that a text listing of n rows
// is empty, so that a header alone does not read as a fault; stdout keeps
// the table (its header) for pipes, and JSON output stays [].
func noteNone(g *globals, n int, note string) {
	if n == 0 {
		fmt.Fprintln(g.errOut, note)
	}
}
