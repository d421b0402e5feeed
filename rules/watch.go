package rules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch reloads the set whenever what the loader reads at the path
// changes, once per burst of changes: after Debounce without another.
// Any change in a watched directory is looked at, since a file mounted
// from a Kubernetes ConfigMap is a link that never changes, through a
// ..data link each update swaps, so no event names the file itself; a
// burst that left the content as it was reloads nothing. It returns
// when ctx is done, or with an error when the path cannot be watched. A
// reload that fails is logged and audited by Reload and the watch goes
// on.
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
	read := r.sourceDigest()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-w.Events:
			r.watchCreated(w, ev)
			timer.Reset(r.cfg.Debounce)
		case err := <-w.Errors:
			r.cfg.Log.Warn("watch policies", "err", err)
		case <-timer.C:
			if d := r.sourceDigest(); d != read {
				read = d
				_ = r.Reload(ctx)
			}
		}
	}
}

// addWatches watches a bundle's directory, and its link target's when
// the bundle is a link elsewhere (edited where it is), or a policy
// directory and every directory below it that the loader reads.
func (r *Reloader) addWatches(w *fsnotify.Watcher) error {
	if IsBundle(r.cfg.Path) {
		if target, err := filepath.EvalSymlinks(r.cfg.Path); err == nil &&
			filepath.Dir(target) != filepath.Dir(r.cfg.Path) {
			_ = w.Add(filepath.Dir(target))
		}
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

// watchCreated watches a directory created under a policy directory,
// unless hidden (the loader skips those, a ConfigMap's ..2026_... ones
// among them).
func (r *Reloader) watchCreated(w *fsnotify.Watcher, ev fsnotify.Event) {
	if IsBundle(r.cfg.Path) || !ev.Has(fsnotify.Create) ||
		strings.HasPrefix(filepath.Base(ev.Name), ".") {
		return
	}
	if info, err := os.Stat(ev.Name); err == nil && info.IsDir() {
		_ = w.Add(ev.Name)
	}
}

// sourceDigest identifies what the loader would read at the path now:
// the bundle's bytes, or the policy directory's files and contents (as
// Revision, test files included); a path that cannot be read is its
// error, so that the same failure is not reloaded and audited again.
func (r *Reloader) sourceDigest() string {
	if IsBundle(r.cfg.Path) {
		b, err := os.ReadFile(r.cfg.Path)
		if err != nil {
			return "error: " + err.Error()
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:])
	}
	files, err := readPolicyFiles(os.DirFS(r.cfg.Path))
	if err != nil {
		return "error: " + err.Error()
	}
	return revision(files)
}
