// Package cases runs data-driven policy cases: files of alerts, each with
// the registry it meets and the actions (or the policy error) a policy
// set must decide, in the manner of OPA's own YAML test cases. One case
// file drives both `killswitch policy test` and go test.
//
// A case file is YAML or JSON:
//
//	inventory: inventory/demo.yaml   # default for every case: a path
//	                                 # (relative to this file) or inline
//	now: 2025-06-01T12:00:00Z        # default evaluation time
//	signal_mappings: ../mappings.yaml # optional: a mapping file (relative
//	                                 # to this file) for alerts of mapped
//	                                 # formats (generic:NAME)
//	cases:
//	  - note: GitHub secret scanning revokes the exposed PAT
//	    signal: alerts/github-pat.json       # a path, or the payload inline
//	    want:
//	      actions:
//	        - revoke_credential credential:deploy-bot-pat rule=secret_exposure
//	      severity: high                     # optional
//	      cut: {sessions: [ci-1, ci-2]}      # optional: exactly these
//	  - note: A policy returning {} is an error
//	    modules: {main.rego: "package killswitch.response\ndecision := {}"}
//	    signal: alerts/github-pat.json
//	    want: {error: decision_invalid}
//
// Each signal is decoded as the engine decodes it (with the file's
// signal mappings, or else the Runner's), and its input built with the
// real engine.Enrich over the inventory imported into a private in-memory
// registry, so a case sees what the engine would. An action is written as
// replay.ActionLine renders it. A signal path starting with "corpus:" is
// read from the shared alert corpus; when the corpus is absent the case
// is skipped, except under CI=true.
package cases

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/killswitch-dev/killswitch/signals"
)

// File is one case file.
type File struct {
	// Path is where the file was read from.
	Path      string          `json:"-"`
	Inventory json.RawMessage `json:"inventory,omitempty"`
	Now       string          `json:"now,omitempty"`
	// SignalMappings is a mapping file, relative to the case file, that
	// decodes its alerts of formats no built-in decoder knows. It is
	// loaded by ReadFile and beats the Runner's Mappings.
	SignalMappings string `json:"signal_mappings,omitempty"`
	Cases          []Case `json:"cases"`

	mappings *signals.Mappings
}

// Case is one alert and what the policy set must decide about it.
type Case struct {
	// Note names the case in reports.
	Note string `json:"note"`
	// Signal is the alert: a path relative to the case file, a
	// "corpus:<path>" in the shared corpus, or the payload inline.
	Signal json.RawMessage `json:"signal"`
	// Inventory and Now override the file's.
	Inventory json.RawMessage `json:"inventory,omitempty"`
	Now       string          `json:"now,omitempty"`
	// Modules, when set, replace the policy set under test by these
	// Rego files (name to source), with its data documents.
	Modules map[string]string `json:"modules,omitempty"`
	Want    Want              `json:"want"`
}

// Want is the expected decision.
type Want struct {
	// Actions are replay.ActionLine lines, in any order. Nil with no
	// Error means no actions.
	Actions []string `json:"actions,omitempty"`
	// Severity and RequiresApproval are checked when set.
	Severity         string `json:"severity,omitempty"`
	RequiresApproval *bool  `json:"requires_approval,omitempty"`
	// Cut, when set, is exactly what the actions that would run cut.
	Cut *Cut `json:"cut,omitempty"`
	// Error is a rules.PolicyError code the evaluation must fail with.
	Error string `json:"error,omitempty"`
}

// Cut lists ids that would be cut; a nil list is not checked.
type Cut struct {
	Sessions    []string `json:"sessions,omitempty"`
	Credentials []string `json:"credentials,omitempty"`
}

// ReadFile parses one case file.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy cases: %w", err)
	}
	f := &File{Path: path}
	if err := yaml.UnmarshalStrict(b, f); err != nil {
		return nil, fmt.Errorf("policy cases %s: %w", path, err)
	}
	for i, c := range f.Cases {
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("policy cases %s: cases[%d]: %w", path, i, err)
		}
	}
	if err := f.loadMappings(); err != nil {
		return nil, fmt.Errorf("policy cases %s: signal_mappings: %w", path, err)
	}
	return f, nil
}

// loadMappings loads the file's signal_mappings, if it names one.
func (f *File) loadMappings() error {
	if f.SignalMappings == "" {
		return nil
	}
	m, err := signals.LoadMappings(f.beside(f.SignalMappings))
	f.mappings = m
	return err
}

func (c Case) check() error {
	switch {
	case strings.TrimSpace(c.Note) == "":
		return fmt.Errorf("note: missing (say what the case shows)")
	case len(c.Signal) == 0:
		return fmt.Errorf("signal: missing (a path or the alert inline)")
	case c.Want.Error != "" && len(c.Want.Actions) > 0:
		return fmt.Errorf("want: actions and error together")
	}
	return nil
}

// ReadDir parses every .yaml, .yml and .json file directly in dir, in
// name order. The files they refer to live in subdirectories.
func ReadDir(dir string) ([]*File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read policy cases: %w", err)
	}
	var files []*File
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || !slices.Contains([]string{".yaml", ".yml", ".json"}, ext) {
			continue
		}
		f, err := ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// evalTime is the case's time, the file's, or now.
func (f *File) evalTime(c Case) (time.Time, error) {
	s := c.Now
	if s == "" {
		s = f.Now
	}
	if s == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("now: not an RFC 3339 time (%q)", s)
	}
	return t.UTC(), nil
}
