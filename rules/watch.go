package rules

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch reloads the set whenever a policy or data file under the path
// changes (for a bundle, when the bundle file does), once per burst of
// changes: after Debounce without another. It returns when ctx is done,
// or with an error when the path cannot be watched. A reload that fails
// is logged and audited by Reload and the watch goes on.
func (r *Reloader) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch policies: %w", err)
	}
	defer w.Close()
	if err := r.addWatches(w); err != nil {
		return fmt.Errorf("watch policies %s: %w", r.cfg.Path, err)
	}
	r.cfg.Log.Info("watching policies for changes", "path", r.cfg.Path)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-w.Events:
			if r.relevant(w, ev) {
				timer.Reset(r.cfg.Debounce)
			}
		case err := <-w.Errors:
			r.cfg.Log.Warn("watch policies", "err", err)
		case <-timer.C:
			_ = r.Reload(ctx)
		}
	}
}

// addWatches watches a bundle's directory, or a policy directory and
// every directory below it that the loader reads.
func (r *Reloader) addWatches(w *fsnotify.Watcher) error {
	if IsBundle(r.cfg.Path) {
		return w.Add(filepath.Dir(r.cfg.Path))
	}
	return filepath.WalkDir(r.cfg.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if p != r.cfg.Path && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		return w.Add(p)
	})
}

// relevant reports whether an event can change the set, and watches a
// directory created under a policy directory.
func (r *Reloader) relevant(w *fsnotify.Watcher, ev fsnotify.Event) bool {
	if IsBundle(r.cfg.Path) {
		return filepath.Clean(ev.Name) == filepath.Clean(r.cfg.Path)
	}
	if ev.Has(fsnotify.Create) {
		if info, err := os.Stat(ev.Name); err == nil && info.IsDir() {
			_ = w.Add(ev.Name)
			return true
		}
	}
	base := filepath.Base(ev.Name)
	if strings.HasPrefix(base, ".") {
		return false
	}
	return isPolicyFile(base) || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)
}
