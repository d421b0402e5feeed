package rules

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Fired is a policy rule whose body held during an evaluation: what
// `policy eval --explain` shows. It is OPA's trace trimmed to the rules
// of the set's own files that produced a value, with the conditions that
// held for them.
type Fired struct {
	File string `json:"file"`
	Row  int    `json:"row"`
	// Rule is the rule's path ("data.killswitch.response.threat").
	Rule string `json:"rule"`
	// Head is the first line of the rule's text.
	Head string `json:"head"`
	// Times is how many times its body held (a partial set rule holds
	// once per element).
	Times int `json:"times"`
	// Because are the body's conditions, as "file:row: text".
	Because []string `json:"because,omitempty"`
}

// maxBecause bounds the conditions shown per rule.
const maxBecause = 8

// Explain is Evaluate with OPA's tracing on, reporting which rules fired
// and why. It is slower than Evaluate; the decision and error are the
// same.
func (p *PolicySet) Explain(ctx context.Context, in Input) (Decision, []Fired, error) {
	tracer := topdown.NewBufferTracer()
	d, err := p.evaluate(ctx, p.response, &in, tracer)
	if err != nil {
		err = fmt.Errorf("explain policy: %w", err)
	}
	return d, firedRules(*tracer, p.modules), err
}

// firedRules keeps the exits of rules (not functions) defined in the set's
// modules, one entry per rule, ordered by file and line.
func firedRules(trace []*topdown.Event, modules map[string]*ast.Module) []Fired {
	byPlace := map[string]*Fired{}
	for _, e := range trace {
		rule, ok := e.Node.(*ast.Rule)
		if e.Op != topdown.ExitOp || !ok || !ownRule(rule, modules) {
			continue
		}
		key := fmt.Sprintf("%s:%d", rule.Location.File, rule.Location.Row)
		if f, seen := byPlace[key]; seen {
			f.Times++
			continue
		}
		byPlace[key] = newFired(rule)
	}
	out := make([]Fired, 0, len(byPlace))
	for _, f := range byPlace {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Fired) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Row, b.Row))
	})
	return out
}

// ownRule keeps the set's own rules that depend on the input: not
// functions, not constants.
func ownRule(r *ast.Rule, modules map[string]*ast.Module) bool {
	if r.Location == nil || len(r.Head.Args) > 0 || constant(r) {
		return false
	}
	_, own := modules[r.Location.File]
	return own
}

// constant is a rule without conditions whose value is written out.
func constant(r *ast.Rule) bool {
	return !bytes.Contains(r.Location.Text, []byte("if")) &&
		r.Head.Value != nil && r.Head.Value.IsGround()
}

func newFired(r *ast.Rule) *Fired {
	return &Fired{File: r.Location.File, Row: r.Location.Row,
		Rule: r.Module.Package.Path.Extend(r.Head.Ref().GroundPrefix()).String(),
		Head: firstLine(r.Location.Text), Times: 1, Because: because(r)}
}

// because lists a rule's body conditions as the author wrote them: one
// per line of the body, the longest expression on it (the compiler
// splits "c.id in ids" into parts that share its line), leaving out the
// head's own computations.
func because(r *ast.Rule) []string {
	headEnd := r.Head.Location.Row + bytes.Count(r.Head.Location.Text, []byte("\n"))
	byRow := map[int]*ast.Location{}
	var rows []int
	for _, expr := range r.Body {
		loc := expr.Location
		if loc == nil || loc.Row <= headEnd {
			continue
		}
		if have, ok := byRow[loc.Row]; !ok {
			rows = append(rows, loc.Row)
			byRow[loc.Row] = loc
		} else if len(loc.Text) > len(have.Text) {
			byRow[loc.Row] = loc
		}
	}
	slices.Sort(rows)
	var out []string
	for _, row := range rows {
		if len(out) == maxBecause {
			return append(out, "...")
		}
		loc := byRow[row]
		out = append(out, fmt.Sprintf("%s:%d: %s", loc.File, row, firstLine(loc.Text)))
	}
	return out
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(s)
}
