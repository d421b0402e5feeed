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
// changes, once per burst of changes: after Debounce without another,
// or 10 Debounces after the burst began, whichever is first, so that a
// directory that never falls quiet (a registry's WAL beside a bundle)
// does not put reloads off for good.
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
	var began time.Time // of the burst; zero when none is pending
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-w.Events:
			if !r.concerns(ev) {
				continue
			}
			r.watchCreated(w, ev)
			if began.IsZero() {
				began = time.Now()
			}
			timer.Reset(min(r.cfg.Debounce,
				time.Until(began.Add(10*r.cfg.Debounce))))
		case err := <-w.Errors:
			r.cfg.Log.Warn("watch policies", "err", err)
		case <-timer.C:
			began = time.Time{}
			if d := r.sourceDigest(); d != read {
				read = d
				_ = r.Reload(ctx)
			}
		}
	}
}

// addWatches watches a bundle's directory, and its link target's when
// the bundle is a link elsewhere (edited where it is), or a policy
// directory, every directory below it that the loader reads, and the
// directory that holds it: a deploy that swaps in a new directory
// (mv new policies, a link re-pointed) left the watch on the old one,
// and the new set was never loaded but by SIGHUP.
func (r *Reloader) addWatches(w *fsnotify.Watcher) error {
	if IsBundle(r.cfg.Path) {
		if target, err := filepath.EvalSymlinks(r.cfg.Path); err == nil &&
			filepath.Dir(target) != filepath.Dir(r.cfg.Path) {
			_ = w.Add(filepath.Dir(target))
		}
		return w.Add(filepath.Dir(r.cfg.Path))
	}
	if err := addTree(w, r.cfg.Path); err != nil {
		return err
	}
	return w.Add(filepath.Dir(filepath.Clean(r.cfg.Path)))
}

// addTree watches root and every directory below it that the loader
// reads (it skips hidden ones, a ConfigMap's ..2026_... among them). A
// root that is a link is walked where it leads: walked as a link, it
// was no directory, and nothing below it was watched.
func addTree(w *fsnotify.Watcher, root string) error {
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		return w.Add(p)
	})
}

// watchCreated watches what a creation brings into a policy directory:
// the directory itself swapped in anew, with all below it, or a
// directory (moved in with its own, perhaps) below it, unless hidden.
// What is created beside the policy directory is none of its business.
func (r *Reloader) watchCreated(w *fsnotify.Watcher, ev fsnotify.Event) {
	if IsBundle(r.cfg.Path) || !ev.Has(fsnotify.Create) {
		return
	}
	root, name := filepath.Clean(r.cfg.Path), filepath.Clean(ev.Name)
	if name != root && (!r.inside(name) ||
		strings.HasPrefix(filepath.Base(name), ".")) {
		return
	}
	if info, err := os.Stat(name); err == nil && info.IsDir() {
		if err := addTree(w, name); err != nil {
			r.cfg.Log.Warn("watch policies", "path", name, "err", err)
		}
	}
}

// concerns reports whether ev may change what the loader reads: any
// event in a bundle's directory (a ConfigMap update names no file of
// it), and in a policy directory's tree or of the directory itself, but
// not one of the directory's siblings, seen by the watch of the
// directory above it: a registry's WAL written beside ./policies kept
// the debounce from ever ending.
func (r *Reloader) concerns(ev fsnotify.Event) bool {
	if IsBundle(r.cfg.Path) {
		return true
	}
	name := filepath.Clean(ev.Name)
	return name == filepath.Clean(r.cfg.Path) || r.inside(name)
}

// inside reports whether name is below the policy directory, as named
// or where its link leads (where addTree watches).
func (r *Reloader) inside(name string) bool {
	roots := []string{filepath.Clean(r.cfg.Path)}
	if real, err := filepath.EvalSymlinks(r.cfg.Path); err == nil {
		roots = append(roots, real)
	}
	for _, root := range roots {
		if strings.HasPrefix(name, root+string(filepath.Separator)) ||
			root == "." && filepath.IsLocal(name) {
			return true
		}
	}
	return false
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
