package api

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/sweeps"
)

// Policies is the policy set in force, as run serves it.
type Policies interface {
	// Revision names the policy set in force.
	Revision() string
}

// reloadReporter is a Policies that reloads: ReloadErr is why the
// newest files failed to load (the set in force stays), nil when the
// last reload worked.
type reloadReporter interface {
	ReloadErr() error
}

// SweepSchedule is one scheduled sweep, as run configured it. Every
// shipped sweep is listed; those without a SweepSchedule as unscheduled.
type SweepSchedule struct {
	Name string
	// Schedule is the cron spec or descriptor, with its time zone.
	Schedule string
	// Next is the first scheduled time after a time.
	Next func(after time.Time) time.Time
}

// SweepLeader says whether this instance leads the instances sharing
// its registry, and so runs the scheduled sweeps; *sweeps.Leadership
// implements it.
type SweepLeader interface {
	Leading() bool
	// Unreachable reports that this instance does not lead and could not
	// reach the registry to learn whether another instance does.
	Unreachable() bool
}

// GetPolicies reports the policy set in force and its last reload.
func (s *Server) GetPolicies(ctx context.Context,
	_ GetPoliciesRequestObject) (GetPoliciesResponseObject, error) {
	if s.policies == nil {
		return nil, problem(ProblemCodeNotFound,
			"this server evaluates no policies")
	}
	out := GetPolicies200JSONResponse{Revision: s.policies.Revision(),
		ReloadOK: true}
	if r, ok := s.policies.(reloadReporter); ok {
		if err := r.ReloadErr(); err != nil {
			out.ReloadOK, out.ReloadError = false, err.Error()
		}
	}
	return out, nil
}

// ListSweeps lists every shipped sweep with its schedule and next run
// when run schedules it, and its last run: a sweep run's --config leaves
// unscheduled still runs by hand, and shows as `sweep list` shows it.
// When this instance schedules sweeps, it says whether it leads.
func (s *Server) ListSweeps(ctx context.Context,
	_ ListSweepsRequestObject) (ListSweepsResponseObject, error) {
	if err := unscoped(ctx); err != nil {
		return nil, err
	}
	out := ListSweeps200JSONResponse{Items: []Sweep{}}
	for _, sw := range sweeps.Shipped() {
		item, err := s.sweep(ctx, sw)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, item)
	}
	slices.SortFunc(out.Items, func(a, b Sweep) int {
		return strings.Compare(a.Name, b.Name)
	})
	switch {
	case s.leader == nil:
	case s.leader.Leading():
		out.Scheduler = ListSweeps200JSONResponseBodySchedulerLeader
	case s.leader.Unreachable():
		out.Scheduler = ListSweeps200JSONResponseBodySchedulerUnreachable
	default:
		out.Scheduler = ListSweeps200JSONResponseBodySchedulerFollower
	}
	return out, nil
}

// sweep is sw as the API shows it, with its schedule if it has one.
func (s *Server) sweep(ctx context.Context, sw sweeps.Sweep) (Sweep, error) {
	item := Sweep{Name: sw.Name, Doc: sw.Doc}
	i := slices.IndexFunc(s.sweeps, func(sc SweepSchedule) bool {
		return sc.Name == sw.Name
	})
	if i >= 0 {
		item.Schedule = s.sweeps[i].Schedule
		if s.sweeps[i].Next != nil {
			item.NextRun = s.sweeps[i].Next(s.now())
		}
	}
	runs, err := s.st.ListSweepRuns(ctx, sw.Name, 1)
	if err != nil {
		return Sweep{}, err
	}
	if len(runs) > 0 {
		item.LastRun = sweepRun(runs[0])
	}
	return item, nil
}

// ListSweepRuns lists one sweep's runs, newest first. A sweep's runs are
// one per scheduled time: they are paged here.
func (s *Server) ListSweepRuns(ctx context.Context,
	req ListSweepRunsRequestObject) (ListSweepRunsResponseObject, error) {
	if err := unscoped(ctx); err != nil {
		return nil, err
	}
	limit, err := pageLimit(req.Params.Limit)
	if err != nil {
		return nil, err
	}
	of := listOf("sweep-runs:"+req.Name, req.Params)
	cur, err := decodeCursor(req.Params.Cursor, of)
	if err != nil {
		return nil, err
	}
	runs, err := s.st.ListSweepRuns(ctx, req.Name, 0)
	if err != nil {
		return nil, err
	}
	if cur.ID != "" {
		i := slices.IndexFunc(runs, func(r store.SweepRun) bool {
			return r.ID == cur.ID
		})
		if i < 0 {
			return nil, badParam("cursor", req.Params.Cursor,
				"names no run of sweep "+req.Name)
		}
		runs = runs[i+1:]
	}
	runs, next := trim(runs, limit, of, func(r store.SweepRun) cursor {
		return cursor{ID: r.ID}
	})
	page := ListSweepRuns200JSONResponse{Items: make([]SweepRun, len(runs)),
		NextCursor: next}
	for i, r := range runs {
		page.Items[i] = sweepRun(r)
	}
	return page, nil
}

// GetSweepRun returns one run with its report.
func (s *Server) GetSweepRun(ctx context.Context,
	req GetSweepRunRequestObject) (GetSweepRunResponseObject, error) {
	if err := unscoped(ctx); err != nil {
		return nil, err
	}
	runs, err := s.st.ListSweepRuns(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		if r.ID == req.ID {
			return GetSweepRun200JSONResponse(sweepRun(r)), nil
		}
	}
	return nil, problem(ProblemCodeNotFound, "no such record")
}

// unscoped refuses a caller with scopes: what it asks for spans every
// principal and provider.
func unscoped(ctx context.Context) error {
	c, err := callerOf(ctx)
	if err != nil {
		return err
	}
	if len(c.Scopes.PrincipalKinds)+len(c.Scopes.Providers) > 0 {
		return problem(ProblemCodeForbidden, "sweeps reach every "+
			"principal and provider; a scoped token cannot read them")
	}
	return nil
}

// sweepRun is r as the API shows it.
func sweepRun(r store.SweepRun) SweepRun {
	return SweepRun{ID: r.ID, Sweep: r.Sweep, ScheduledAt: r.ScheduledAt,
		Owner: r.Owner, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Outcome: SweepRunOutcome(r.Outcome), Error: r.Error,
		Report: JSON(r.Report)}
}
