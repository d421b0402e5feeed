package rules

import (
	"cmp"
	"slices"

	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Coverage collects the policy lines that tests and evaluations ran,
// with OPA's cover package. Pass it to RunTests with WithCoverage and to
// Load with WithTracer(c.Tracer()); it is safe for concurrent use.
type Coverage struct {
	cover *cover.Cover
}

// NewCoverage starts an empty collection.
func NewCoverage() *Coverage { return &Coverage{cover: cover.New()} }

// Tracer is the query tracer that records what an evaluation ran.
func (c *Coverage) Tracer() topdown.QueryTracer { return c.cover }

// CoverageReport says how much of each policy file ran. Test files are
// left out.
type CoverageReport struct {
	// Percent is over every policy line that can run.
	Percent float64
	Files   []FileCoverage
}

// FileCoverage is one policy file's share.
type FileCoverage struct {
	File       string
	Percent    float64
	Covered    int
	NotCovered int
	// Missed are the line ranges that never ran.
	Missed []LineRange
}

// LineRange is the lines Start to End, both included.
type LineRange struct{ Start, End int }

// Report measures the coverage of the set's policy files.
func (c *Coverage) Report(ps *PolicySet) CoverageReport {
	r := c.cover.Report(ps.modules)
	out := CoverageReport{Percent: r.Coverage}
	for name, f := range r.Files {
		if isTestFile(name) {
			continue
		}
		fc := FileCoverage{File: name, Percent: f.Coverage,
			Covered: f.CoveredLines, NotCovered: f.NotCoveredLines}
		for _, rg := range f.NotCovered {
			fc.Missed = addRange(fc.Missed, LineRange{rg.Start.Row, rg.End.Row})
		}
		out.Files = append(out.Files, fc)
	}
	slices.SortFunc(out.Files, func(a, b FileCoverage) int {
		return cmp.Compare(a.File, b.File)
	})
	out.Percent = overall(out.Files)
	return out
}

// addRange appends r to sorted ranges, merging it with the last one
// when they overlap or touch.
func addRange(rs []LineRange, r LineRange) []LineRange {
	if n := len(rs); n > 0 && r.Start <= rs[n-1].End+1 {
		rs[n-1].End = max(rs[n-1].End, r.End)
		return rs
	}
	return append(rs, r)
}

func overall(files []FileCoverage) float64 {
	covered, all := 0, 0
	for _, f := range files {
		covered += f.Covered
		all += f.Covered + f.NotCovered
	}
	if all == 0 {
		return 0
	}
	return 100 * float64(covered) / float64(all)
}
