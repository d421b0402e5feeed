package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/spf13/pflag"

	"github.com/killswitch-dev/killswitch/signals"
)

// signalMappingsUsage is the help of --signal-mappings.
const signalMappingsUsage = "mapping file (YAML or JSON) describing alerts " +
	"in formats no built-in decoder knows; see README, \"Alerts in a " +
	"format killswitch does not know\""

// addSignalMappingsFlag adds --signal-mappings to a command that decodes
// alert payloads.
func addSignalMappingsFlag(fl *pflag.FlagSet, path *string) {
	fl.StringVar(path, "signal-mappings", "", signalMappingsUsage)
}

// loadSignalMappings loads --signal-mappings; none gives nil, which
// decodes with the built-in decoders only. A broken file is a usage
// error (exit 2) naming each fault's file, line and mapping.
func loadSignalMappings(path string) (*signals.Mappings, error) {
	if path == "" {
		return nil, nil
	}
	m, err := signals.LoadMappings(path)
	if err != nil {
		return nil, &exitError{code: 2,
			err: fmt.Errorf("--signal-mappings: %w", err)}
	}
	return m, nil
}

// liveMappings is the mapping set run decodes with: it reloads its file
// on SIGHUP and when the file changes, and a file that does not load
// leaves the set in force, as a broken policy set does.
type liveMappings struct {
	path    string
	log     *slog.Logger
	current atomic.Pointer[signals.Mappings]
	mu      sync.Mutex // one reload at a time
	// read is the digest of the file's content last read, loaded or
	// not: a change seen in the directory that left it as it was is no
	// reason to reload.
	read [sha256.Size]byte
	// failed is why the last reload failed, nil once one succeeds.
	failed atomic.Pointer[error]
}

// ReloadErr is why the last reload failed, nil when the file on disk is
// the one in force.
func (l *liveMappings) ReloadErr() error {
	if err := l.failed.Load(); err != nil {
		return *err
	}
	return nil
}

// newLiveMappings loads path; a file that does not load is an error,
// since there is nothing to keep in force.
func newLiveMappings(path string, log *slog.Logger) (*liveMappings, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &exitError{code: 2,
			err: fmt.Errorf("--signal-mappings: signal mappings: %w", err)}
	}
	m, err := signals.ParseMappings(path, b)
	if err != nil {
		return nil, &exitError{code: 2,
			err: fmt.Errorf("--signal-mappings: %w", err)}
	}
	l := &liveMappings{path: path, log: log.With("component", "signals"),
		read: sha256.Sum256(b)}
	l.current.Store(m)
	l.log.Info("signal mappings loaded", "path", path,
		"mappings", strings.Join(m.Names(), ","))
	return l, nil
}

// Decode decodes with the mappings in force.
func (l *liveMappings) Decode(payload []byte) (signals.Signal, error) {
	return l.current.Load().Decode(payload)
}

// reload loads the file again and puts it in force; a file that does
// not load is logged with its faults and the mappings in force stay.
// Unless forced (SIGHUP), a file whose content is the one last read is
// left alone.
func (l *liveMappings) reload(force bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := os.ReadFile(l.path)
	if err == nil {
		sum := sha256.Sum256(b)
		if sum == l.read && !force {
			return nil
		}
		l.read = sum
	}
	var m *signals.Mappings
	if err == nil {
		m, err = signals.ParseMappings(l.path, b)
	} else {
		err = fmt.Errorf("signal mappings: %w", err)
	}
	if err != nil {
		l.log.Error("signal mappings reload failed; the mappings in "+
			"force stay", "path", l.path, "mappings_in_force",
			strings.Join(l.current.Load().Names(), ","), "err", err)
		l.failed.Store(&err)
		return err
	}
	l.current.Store(m)
	l.failed.Store(nil)
	l.log.Info("signal mappings reloaded", "path", l.path,
		"mappings", strings.Join(m.Names(), ","))
	return nil
}

// mappingsDebounce is how long a burst of changes in the file's
// directory must be quiet before the file is read again; a burst is cut
// short at ten of them, as a directory that never falls quiet (the
// registry's WAL beside the file) put the reload off for good.
const mappingsDebounce = 300 * time.Millisecond

// inTarget reports whether name is in the directory the file's link
// leads to, which is watched too.
func (l *liveMappings) inTarget(name string) bool {
	target, err := filepath.EvalSymlinks(l.path)
	return err == nil && filepath.Dir(name) == filepath.Dir(target)
}

// start reloads on SIGHUP and on a change of the file (watched through
// its directory, since editors and deploys replace files), once per
// burst of changes, until ctx is done. Both are watched when it returns.
func (l *liveMappings) start(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	changed, stop := l.watch()
	go func() {
		defer signal.Stop(hup)
		defer stop()
		l.serve(ctx, hup, changed)
	}()
}

func (l *liveMappings) serve(ctx context.Context, hup <-chan os.Signal,
	changed <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var began time.Time // of the burst; zero when none is pending
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = l.reload(true)
		case <-changed:
			if began.IsZero() {
				began = time.Now()
			}
			timer.Reset(min(mappingsDebounce,
				time.Until(began.Add(10*mappingsDebounce))))
		case <-timer.C:
			began = time.Time{}
			_ = l.reload(false)
		}
	}
}

// watch reports changes in the file's directory, and in its target's
// when it is a link: a Kubernetes ConfigMap's file is a link that never
// changes, through a ..data link swapped for a new directory on each
// update, and a link's target may be edited where it is. It watches the
// directory above the file's too, and the file's directory anew when
// one is swapped in under its name: a deploy that moved a new directory
// over the old left the watch on the old one. When the file cannot be
// watched it says so and only SIGHUP reloads.
func (l *liveMappings) watch() (<-chan struct{}, func()) {
	changed := make(chan struct{}, 1)
	dir := filepath.Dir(filepath.Clean(l.path))
	w, err := fsnotify.NewWatcher()
	if err == nil {
		err = w.Add(dir)
	}
	if err != nil {
		l.log.Error("signal mapping changes will not reload; SIGHUP "+
			"still does", "path", l.path, "err", err)
		if w != nil {
			w.Close()
		}
		return changed, func() {}
	}
	if target, err := filepath.EvalSymlinks(l.path); err == nil &&
		filepath.Dir(target) != filepath.Dir(l.path) {
		_ = w.Add(filepath.Dir(target))
	}
	_ = w.Add(filepath.Dir(dir))
	go func() {
		for ev := range w.Events {
			name := filepath.Clean(ev.Name)
			if name != dir && filepath.Dir(name) != dir && !l.inTarget(name) {
				continue // a sibling of the file's directory
			}
			if ev.Has(fsnotify.Create) && name == dir {
				_ = w.Add(dir)
			}
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		for err := range w.Errors {
			l.log.Warn("watch signal mappings", "err", err)
		}
	}()
	return changed, func() { w.Close() }
}
