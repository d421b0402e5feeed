package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/killswitch-dev/killswitch/store"
)

// Bounds of principals show: the ended sessions and timeline entries it
// lists, newest first, and the audit entries it reads per subject.
const (
	recentSessions  = 20
	timelineEntries = 100
	auditPerSubject = 50
)

// principalView is everything principals show prints.
type principalView struct {
	Principal   store.Principal  `json:"principal"`
	Aliases     []store.Alias    `json:"aliases"`
	Live        []store.Session  `json:"live_sessions"`
	Recent      []store.Session  `json:"recent_sessions"`
	Credentials []credentialView `json:"credentials"`
	Locks       []store.Lock     `json:"locks_in_force"`
	Timeline    []timelineItem   `json:"timeline"`
}

// credentialView is a credential with its derived age and the exposures
// the ledger holds.
type credentialView struct {
	store.Credential
	AgeDays int `json:"age_days"`
	// DaysSinceExposure is nil when it was never exposed.
	DaysSinceExposure *int                   `json:"days_since_exposure"`
	Exposures         []store.ExposureRecord `json:"exposures"`
}

// timelineItem is one signal, decision, action or audit entry about the
// principal.
type timelineItem struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"` // signal, decision, action, audit
	ID      string    `json:"id"`
	Summary string    `json:"summary"`
}

func newPrincipalsShowCmd(g *globals) *cobra.Command {
	out := outputFlag("text")
	cmd := &cobra.Command{
		Use:   "show ID|ALIAS",
		Short: "Show a principal: aliases, sessions, credentials, locks, timeline",
		Long: "show prints a principal named by its id or by any alias, its " +
			"live and recent sessions, its credentials with their age and " +
			"exposures, the locks in force on it, and a timeline of the " +
			"signals, decisions and actions about it, newest first.",
		Example: "  killswitch principals show alice@example.com",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			v, err := showPrincipal(cmd.Context(), st, args[0], systemClock())
			if err != nil {
				return err
			}
			if out == "json" {
				return printJSON(g.out, v)
			}
			return printPrincipalView(g, v)
		},
	}
	cmd.Flags().StringVarP((*string)(&out), "output", "o", "text",
		"output format: text or json")
	return cmd
}

// findPrincipal reads the principal ref names: an id, or else an alias
// of exactly one principal.
func findPrincipal(ctx context.Context, st store.Store, ref string) (store.Principal, error) {
	p, err := st.GetPrincipal(ctx, ref)
	if !errors.Is(err, store.ErrNotFound) {
		return p, err
	}
	aliases, err := st.FindAliases(ctx, ref)
	if err != nil {
		return p, err
	}
	var ids []string
	for _, a := range aliases {
		if !slices.Contains(ids, a.PrincipalID) {
			ids = append(ids, a.PrincipalID)
		}
	}
	switch len(ids) {
	case 0:
		return p, fmt.Errorf("principal %q: no principal has that id or alias", ref)
	case 1:
		return st.GetPrincipal(ctx, ids[0])
	}
	return p, &exitError{code: 2, err: fmt.Errorf("principal %q: the alias "+
		"names %d principals (%s); give one id", ref, len(ids),
		strings.Join(ids, ", "))}
}

// showPrincipal gathers everything about the principal ref names.
func showPrincipal(ctx context.Context, st store.Store, ref string,
	now time.Time) (principalView, error) {
	p, err := findPrincipal(ctx, st, ref)
	if err != nil {
		return principalView{}, err
	}
	v := principalView{Principal: p}
	if v.Aliases, err = st.ListAliases(ctx, p.ID); err != nil {
		return v, err
	}
	ses, err := st.ListSessions(ctx, store.SessionFilter{PrincipalID: p.ID,
		Order: store.Order{Desc: true}})
	if err != nil {
		return v, err
	}
	v.Live, v.Recent = splitSessions(ses)
	if v.Credentials, err = credentialViews(ctx, st, p.ID, now); err != nil {
		return v, err
	}
	if v.Locks, err = locksOn(ctx, st, v, now); err != nil {
		return v, err
	}
	v.Timeline, err = principalTimeline(ctx, st, v)
	return v, err
}

// splitSessions splits sessions, newest first, into the live ones and
// the newest ended ones.
func splitSessions(ses []store.Session) (live, recent []store.Session) {
	live, recent = []store.Session{}, []store.Session{}
	for _, s := range ses {
		if s.Status == store.StatusActive {
			live = append(live, s)
		} else if len(recent) < recentSessions {
			recent = append(recent, s)
		}
	}
	return live, recent
}

// credentialViews are a principal's credentials with age and exposures.
func credentialViews(ctx context.Context, st store.Store, id string,
	now time.Time) ([]credentialView, error) {
	cs, err := st.ListCredentials(ctx, store.CredentialFilter{PrincipalID: id})
	if err != nil {
		return nil, err
	}
	exposed, err := st.ListExposedCredentials(ctx, store.ExposedFilter{PrincipalID: id})
	if err != nil {
		return nil, err
	}
	ledger := map[string][]store.ExposureRecord{}
	for _, x := range exposed {
		ledger[x.Credential.ID] = x.Exposures
	}
	out := make([]credentialView, 0, len(cs))
	for _, c := range cs {
		cv := credentialView{Credential: c, AgeDays: wholeDays(now, c.CreatedAt),
			Exposures: nonNilSlice(ledger[c.ID])}
		if c.Exposure != nil {
			d := wholeDays(now, c.Exposure.At)
			cv.DaysSinceExposure = &d
		}
		out = append(out, cv)
	}
	return out, nil
}

// wholeDays is how many whole days before now t was.
func wholeDays(now, t time.Time) int {
	return int(now.Sub(t) / (24 * time.Hour))
}

// locksOn are the locks in force on the principal, one of its
// credentials or a device one of its sessions came from.
func locksOn(ctx context.Context, st store.Store, v principalView,
	now time.Time) ([]store.Lock, error) {
	all, err := st.ListLocks(ctx, now)
	if err != nil {
		return nil, err
	}
	targets := map[string]bool{"principal:" + v.Principal.ID: true}
	for _, c := range v.Credentials {
		targets["credential:"+c.ID] = true
	}
	for _, s := range slices.Concat(v.Live, v.Recent) {
		if s.Origin.Device != "" {
			targets["device:"+s.Origin.Device] = true
		}
	}
	out := []store.Lock{}
	for _, l := range all {
		if targets[l.TargetType+":"+l.Target] {
			out = append(out, l)
		}
	}
	return out, nil
}

// jsonText is raw JSON as compact text, for a one-line summary.
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
