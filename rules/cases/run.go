package cases

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"github.com/killswitch-dev/killswitch/engine"
	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/rules/replay"
	"github.com/killswitch-dev/killswitch/signals"
)

// Result is the outcome of one case.
type Result struct {
	File string
	Note string
	Pass bool
	// Skip says why the case did not run (the corpus is absent).
	Skip string
	// Failure says what differed: a diff of expected and actual actions,
	// or the error that stopped the case.
	Failure string
	// Replay is what the case's alert was shown and decided, when its
	// evaluation ran.
	Replay *replay.Result
}

// Runner runs cases against one policy set.
type Runner struct {
	// Policies is the set under test.
	Policies *rules.PolicySet
	// Data are the data documents (name to content) given to a case's
	// own Modules, so they see the same data.killswitch.
	Data map[string][]byte
	// CorpusDir is the shared alert corpus for "corpus:" signals.
	CorpusDir string
	// CI makes a case that needs the absent corpus fail, not skip.
	CI bool
	// Mappings decode the alerts of mapped formats in case files that
	// name no signal_mappings of their own. Nil decodes with the
	// built-in decoders only.
	Mappings *signals.Mappings
	// Options are passed to rules.Load for a case's own Modules.
	Options []rules.Option
}

// Run runs every case of every file, in order.
func (r *Runner) Run(ctx context.Context, files []*File) []Result {
	var out []Result
	for _, f := range files {
		for _, c := range f.Cases {
			res := r.runCase(ctx, f, c)
			res.File, res.Note = f.Path, c.Note
			out = append(out, res)
		}
	}
	return out
}

func (r *Runner) runCase(ctx context.Context, f *File, c Case) Result {
	sig, skip, err := r.signal(f, c)
	switch {
	case skip != "":
		return Result{Skip: skip}
	case err != nil:
		return Result{Failure: err.Error()}
	}
	got, err := r.replay(ctx, f, c, sig)
	if msg := judge(c.Want, got, err); msg != "" {
		return Result{Failure: msg, Replay: &got}
	}
	return Result{Pass: true, Replay: &got}
}

func (r *Runner) replay(ctx context.Context, f *File, c Case,
	sig signals.Signal) (replay.Result, error) {
	now, err := f.evalTime(c)
	if err != nil {
		return replay.Result{}, err
	}
	reg, err := f.registry(ctx, c, now)
	if err != nil {
		return replay.Result{}, err
	}
	defer reg.Close()
	ps, err := r.policies(ctx, c)
	if err != nil {
		return replay.Result{}, err
	}
	return replay.Replayer{Registry: reg}.Replay(ctx, ps, sig, now)
}

func (r *Runner) policies(ctx context.Context, c Case) (*rules.PolicySet, error) {
	if len(c.Modules) == 0 {
		return r.Policies, nil
	}
	fsys := fstest.MapFS{}
	for name, src := range c.Modules {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	for name, b := range r.Data {
		fsys[name] = &fstest.MapFile{Data: b}
	}
	return rules.Load(ctx, fsys, r.Options...)
}

// signal decodes the case's alert. A corpus alert without the corpus is
// a skip, or a failure under CI.
func (r *Runner) signal(f *File, c Case) (signals.Signal, string, error) {
	payload, err := f.resolve(c.Signal, r.CorpusDir)
	var absent *corpusAbsentError
	if errors.As(err, &absent) && !r.CI {
		return signals.Signal{}, absent.Error(), nil
	}
	if err != nil {
		return signals.Signal{}, "", fmt.Errorf("signal: %w", err)
	}
	sig, err := r.decode(f, payload)
	if err != nil {
		return signals.Signal{}, "", fmt.Errorf("signal: %w", err)
	}
	return sig, "", nil
}

// decode decodes with the file's mappings, or else the Runner's. A
// payload nothing recognises says where mappings come from: its format
// may be one a mapping file describes.
func (r *Runner) decode(f *File, payload []byte) (signals.Signal, error) {
	m := f.mappings
	if m == nil {
		m = r.Mappings
	}
	sig, err := m.Decode(payload)
	switch {
	case !errors.Is(err, signals.ErrUnknownFormat):
		return sig, err
	case m == nil:
		return sig, fmt.Errorf("%w; no signal mappings were given: if a "+
			"mapping file describes this alert, add \"signal_mappings: "+
			"FILE\" (relative to the case file) to %s, or give "+
			"--signal-mappings FILE", err, f.Path)
	}
	return sig, fmt.Errorf("%w, nor does any mapping of %s", err, m.File())
}

type corpusAbsentError struct{ dir string }

func (e *corpusAbsentError) Error() string {
	return "the shared alert corpus is not at " + e.dir +
		" (it sits beside the repository as shared/corpus)"
}

// resolve turns a path, a corpus path or an inline document into bytes.
func (f *File) resolve(raw json.RawMessage, corpusDir string) ([]byte, error) {
	var p string
	if json.Unmarshal(raw, &p) != nil {
		return raw, nil
	}
	if rest, ok := strings.CutPrefix(p, "corpus:"); ok {
		if _, err := os.Stat(corpusDir); err != nil || corpusDir == "" {
			return nil, &corpusAbsentError{dir: corpusDir}
		}
		return os.ReadFile(filepath.Join(corpusDir, rest))
	}
	return os.ReadFile(f.beside(p))
}

// beside is a path a case file names: relative to the file, unless it
// is absolute.
func (f *File) beside(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(f.Path), p)
}

func (f *File) registry(ctx context.Context, c Case, now time.Time) (closer, error) {
	raw := c.Inventory
	if len(raw) == 0 {
		raw = f.Inventory
	}
	if len(raw) == 0 {
		raw = json.RawMessage(`{"principals": []}`)
	}
	var p string
	if json.Unmarshal(raw, &p) == nil {
		return replay.OpenInventory(ctx, f.beside(p), now)
	}
	return replay.ParseInventory(ctx, raw, f.Path+": inventory", now)
}

type closer interface {
	engine.Registry
	Close() error
}

// judge compares the outcome with what the case wants, and says how they
// differ, or "".
func judge(w Want, got replay.Result, err error) string {
	var pe *rules.PolicyError
	switch {
	case w.Error != "" && errors.As(err, &pe) && pe.Code == w.Error:
		return ""
	case w.Error != "" && err != nil:
		return fmt.Sprintf("want error %s, got: %v", w.Error, err)
	case w.Error != "":
		return fmt.Sprintf("want error %s, got a decision:\n%s", w.Error,
			indent(lines(got)))
	case err != nil:
		return err.Error()
	}
	var msgs []string
	if d := Diff(w.Actions, lines(got)); d != "" {
		msgs = append(msgs, "actions differ (- want, + got):\n"+d)
	}
	msgs = append(msgs, checkDecision(w, got)...)
	return strings.Join(msgs, "\n")
}

func checkDecision(w Want, got replay.Result) []string {
	var msgs []string
	if w.Severity != "" && w.Severity != got.Decision.Severity {
		msgs = append(msgs, fmt.Sprintf("severity: want %s, got %s",
			w.Severity, got.Decision.Severity))
	}
	if w.RequiresApproval != nil && *w.RequiresApproval != got.Decision.RequiresApproval {
		msgs = append(msgs, fmt.Sprintf("requires_approval: want %v, got %v",
			*w.RequiresApproval, got.Decision.RequiresApproval))
	}
	if w.Cut != nil {
		msgs = append(msgs, checkCut("sessions", w.Cut.Sessions, got.Cut.Sessions)...)
		msgs = append(msgs, checkCut("credentials", w.Cut.Credentials, got.Cut.Credentials)...)
	}
	return msgs
}

func checkCut(what string, want, got []string) []string {
	if want == nil {
		return nil
	}
	want = slices.Sorted(slices.Values(want))
	if slices.Equal(want, got) {
		return nil
	}
	return []string{fmt.Sprintf("cut %s differ (- want, + got):\n%s",
		what, Diff(want, got))}
}

func lines(res replay.Result) []string {
	out := make([]string, len(res.Decision.Actions))
	for i, a := range res.Decision.Actions {
		out[i] = replay.ActionLine(a)
	}
	return out
}

// Diff compares two lists of lines in any order: lines only in want are
// marked "-", lines only in got "+", common lines " ". It is "" when
// they hold the same lines.
func Diff(want, got []string) string {
	w := slices.Sorted(slices.Values(want))
	g := slices.Sorted(slices.Values(got))
	if slices.Equal(w, g) {
		return ""
	}
	var b bytes.Buffer
	for _, l := range merge(w, g) {
		mark := " "
		switch inW, inG := slices.Contains(w, l), slices.Contains(g, l); {
		case inW && !inG:
			mark = "-"
		case inG && !inW:
			mark = "+"
		}
		fmt.Fprintf(&b, "  %s %s\n", mark, l)
	}
	return strings.TrimRight(b.String(), "\n")
}

func merge(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func indent(ls []string) string {
	if len(ls) == 0 {
		return "  (no actions)"
	}
	return "  " + strings.Join(ls, "\n  ")
}
