package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/signals"
)

func newSignalsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "signals",
		Short: "Work with alert payloads",
	}
	cmd.AddCommand(newSignalsDecodeCmd(g))
	return cmd
}

// decoded is one line of `signals decode`.
type decoded struct {
	File string `json:"file"`
	signals.Signal
	Error string `json:"error,omitempty"`
}

func newSignalsDecodeCmd(g *globals) *cobra.Command {
	out := outputFlag("json")
	var mappingsPath string
	cmd := &cobra.Command{
		Use:   "decode FILE...",
		Short: "Detect each payload's format and print the normalised signal",
		Long: "decode prints, for each file, one JSON object with format, " +
			"category, severity, time, dedup_key and subjects. A file no " +
			"decoder accepts is reported with its error, and the exit code " +
			"is 1. With --signal-mappings, a payload no built-in decoder " +
			"accepts is decoded by the mapping whose match it meets.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			mappings, err := loadSignalMappings(mappingsPath)
			if err != nil {
				return err
			}
			results, failed := decodeFiles(args, mappings)
			if out == "json" {
				for _, r := range results {
					if err := printCompactJSON(g, r.line()); err != nil {
						return err
					}
				}
			} else {
				printDecoded(g, results)
			}
			if failed > 0 {
				return &exitError{code: 1,
					err: fmt.Errorf("%d of %d file(s) did not decode", failed, len(args))}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "json", "output format: json or text")
	addSignalMappingsFlag(cmd.Flags(), &mappingsPath)
	return cmd
}

// decodeFailure is the line of a file that did not decode: its error,
// without the empty signal fields (a year-1 time, an empty format) that
// read as if something had decoded.
type decodeFailure struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// line is what `signals decode -o json` prints for d.
func (d decoded) line() any {
	if d.Error != "" {
		return decodeFailure{File: d.File, Error: d.Error}
	}
	return d
}

// decodeFiles decodes each file with the mappings m (nil: the built-in
// decoders only).
func decodeFiles(files []string, m *signals.Mappings) ([]decoded, int) {
	results := make([]decoded, 0, len(files))
	failed := 0
	for _, f := range files {
		d := decoded{File: f}
		b, err := os.ReadFile(f)
		if err == nil {
			d.Signal, err = m.Decode(b)
		}
		if err != nil {
			d.Error = err.Error()
			failed++
		}
		results = append(results, d)
	}
	return results, failed
}

func printCompactJSON(g *globals, v any) error {
	b, err := jsonMarshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(g.out, string(b))
	return err
}

func printDecoded(g *globals, results []decoded) {
	tw := table(g.out, "FILE", "FORMAT", "CATEGORY", "SEVERITY", "TIME",
		"SUBJECTS", "ERROR")
	for _, r := range results {
		row(tw, r.File, string(r.Format), string(r.Category),
			string(r.Severity), r.Time, subjectsText(r.Subjects), r.Error)
	}
	tw.Flush()
}

func subjectsText(subs []signals.Subject) string {
	parts := make([]string, 0, len(subs))
	for _, s := range subs {
		parts = append(parts, string(s.Type)+"="+s.Value)
	}
	return strings.Join(parts, " ")
}
