package main

import (
	"github.com/killswitch-dev/killswitch/store"

	"fmt"
	"strconv"
)

// printPrincipalView prints principals show as text: a header, then one
// table per part.
func printPrincipalView(g *globals, v principalView) error {
	p := v.Principal
	w := g.out
	fmt.Fprintf(w, "Principal %s (%s), %s\n", oneLine(p.ID), p.Kind,
		p.Status)
	for _, kv := range [][2]string{{"Name", p.DisplayName},
		{"Owner", p.Owner}, {"Labels", labelList(p.Labels)},
		{"Created", cell(p.CreatedAt)}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "  %-8s %s\n", kv[0]+":", oneLine(kv[1]))
		}
	}
	if p.BreakGlass {
		fmt.Fprintln(w, "  Break-glass: never acted on automatically")
	}
	steps := []func(*globals, principalView) error{printAliases,
		printLiveSessions, printRecentSessions, printCredentialViews,
		printLocksInForce, printTimeline}
	for _, step := range steps {
		fmt.Fprintln(w)
		if err := step(g, v); err != nil {
			return err
		}
	}
	return nil
}

func printAliases(g *globals, v principalView) error {
	fmt.Fprintf(g.out, "Aliases (%d)\n", len(v.Aliases))
	tw := table(g.out, "  TYPE", "VALUE", "CREDENTIAL")
	for _, a := range v.Aliases {
		row(tw, "  "+a.Type, a.Value, a.CredentialID)
	}
	return tw.Flush()
}

func printLiveSessions(g *globals, v principalView) error {
	fmt.Fprintf(g.out, "Live sessions (%d)\n", len(v.Live))
	return printSessionRows(g, v.Live)
}

func printRecentSessions(g *globals, v principalView) error {
	fmt.Fprintf(g.out, "Recent ended sessions (%d, newest first)\n", len(v.Recent))
	return printSessionRows(g, v.Recent)
}

func printSessionRows(g *globals, ses []store.Session) error {
	tw := table(g.out, "  SESSION", "PROVIDER", "KIND", "STATUS", "IP",
		"DEVICE", "COUNTRY", "CREATED", "LAST SEEN", "CREDENTIAL")
	for _, s := range ses {
		o := s.Origin
		row(tw, "  "+s.ID, s.Provider, s.Kind, s.Status, o.IP, o.Device,
			o.Country, s.CreatedAt, s.LastSeenAt, s.CredentialID)
	}
	return tw.Flush()
}

func printCredentialViews(g *globals, v principalView) error {
	fmt.Fprintf(g.out, "Credentials (%d)\n", len(v.Credentials))
	tw := table(g.out, "  CREDENTIAL", "KIND", "STORE", "STATUS",
		"AGE DAYS", "EXPOSED DAYS AGO", "EXPOSURES")
	for _, c := range v.Credentials {
		exposed := ""
		if c.DaysSinceExposure != nil {
			exposed = strconv.Itoa(*c.DaysSinceExposure)
		}
		row(tw, "  "+c.ID, c.Kind, c.Store, c.Status, c.AgeDays, exposed,
			exposureList(c))
	}
	return tw.Flush()
}

// exposureList names where and by what a credential leaked.
func exposureList(c credentialView) string {
	s := ""
	for i, e := range c.Exposures {
		if i > 0 {
			s += "; "
		}
		s += e.Source
		if e.Where != "" {
			s += " at " + e.Where
		}
	}
	if s == "" && c.Exposure != nil {
		s = c.Exposure.Source
	}
	return s
}

func printLocksInForce(g *globals, v principalView) error {
	fmt.Fprintf(g.out, "Locks in force (%d)\n", len(v.Locks))
	tw := table(g.out, "  LOCK", "TARGET", "REASON", "BY", "CREATED", "EXPIRES")
	for _, l := range v.Locks {
		row(tw, "  "+l.ID, l.TargetType+":"+l.Target, l.Reason, l.CreatedBy,
			l.CreatedAt, l.ExpiresAt)
	}
	return tw.Flush()
}

func printTimeline(g *globals, v principalView) error {
	fmt.Fprintf(g.out, "Timeline (%d, newest first)\n", len(v.Timeline))
	tw := table(g.out, "  AT", "KIND", "ID", "WHAT")
	for _, t := range v.Timeline {
		row(tw, "  "+cell(t.At), t.Kind, t.ID, t.Summary)
	}
	return tw.Flush()
}
