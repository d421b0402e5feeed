package rules_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
	"github.com/killswitch-dev/killswitch/rules"
)

// configMap lays out a directory as the kubelet mounts a ConfigMap:
// each key a link to ..data/key, ..data a link to a timestamped
// directory holding the files; update swaps ..data for a new directory
// and removes the old one, so no event names a key's link.
type configMap struct {
	dir     string
	version int
}

func newConfigMap(t *testing.T, files map[string][]byte) *configMap {
	t.Helper()
	cm := &configMap{dir: t.TempDir()}
	cm.update(t, files)
	for name := range files {
		must(t, os.Symlink(filepath.Join("..data", name), filepath.Join(cm.dir, name)))
	}
	return cm
}

func (cm *configMap) update(t *testing.T, files map[string][]byte) {
	t.Helper()
	old := cm.version
	cm.version++
	ts := filepath.Join(cm.dir, "..2026_12_04_v"+string(rune('0'+cm.version)))
	must(t, os.Mkdir(ts, 0o755))
	for name, b := range files {
		must(t, os.WriteFile(filepath.Join(ts, name), b, 0o644))
	}
	tmp := filepath.Join(cm.dir, "..data_tmp")
	must(t, os.Symlink(filepath.Base(ts), tmp))
	must(t, os.Rename(tmp, filepath.Join(cm.dir, "..data")))
	if old > 0 {
		must(t, os.RemoveAll(filepath.Join(cm.dir,
			"..2026_12_04_v"+string(rune('0'+old)))))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// bundleOf is a .tar.gz holding one main.rego.
func bundleOf(t *testing.T, src string) []byte {
	t.Helper()
	b, err := os.ReadFile(writeBundle(t, map[string]string{"main.rego": src}))
	must(t, err)
	return b
}

// A policy bundle or directory mounted from a ConfigMap is reloaded on
// an update: the bundle was watched by its exact name, which no event of
// an update names (..data_tmp, ..data, ..2026_...), so an update was
// loaded only on SIGHUP. The same content seen again reloads nothing.
func TestWatchReloadsPoliciesMountedFromAConfigMap(t *testing.T) {
	for _, kind := range []string{"bundle", "directory"} {
		t.Run(kind, func(t *testing.T) {
			name, v1, v2 := "main.rego", []byte(goodPolicy), []byte(otherPolicy)
			if kind == "bundle" {
				name, v1, v2 = "policies.tar.gz", bundleOf(t, goodPolicy),
					bundleOf(t, otherPolicy)
			}
			cm := newConfigMap(t, map[string][]byte{name: v1})
			path := cm.dir
			if kind == "bundle" {
				path = filepath.Join(cm.dir, name)
			}
			reg := prometheus.NewRegistry()
			log := &logbuf.Buffer{}
			r, err := rules.NewReloader(t.Context(), rules.ReloaderConfig{
				Path: path, Registerer: reg, Debounce: 50 * time.Millisecond,
				Log: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{
					Level: slog.LevelDebug}))})
			must(t, err)
			rig := &reloadRig{r: r, reg: reg, log: log}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() { done <- r.Watch(ctx) }()
			defer func() { cancel(); <-done }()
			waitUntil(t, "the watch starts", func() bool {
				return strings.Contains(log.String(), "watching policies")
			})

			cm.update(t, map[string][]byte{name: v2})

			waitUntil(t, "the update is in force", func() bool {
				return rig.severity(t) == "high"
			})
			reloads := rig.metric(t, "killswitch_policy_reloads_total", "success")
			cm.update(t, map[string][]byte{name: v2})
			time.Sleep(300 * time.Millisecond)
			if got := rig.metric(t, "killswitch_policy_reloads_total",
				"success"); got != reloads {
				t.Errorf("the same content reloaded again (%v reloads, want %v)",
					got, reloads)
			}
		})
	}
}

// A deploy that swaps in a whole new policy directory (a new directory
// moved over the old name, or a link to the release re-pointed) left
// the watch on the old directory: the new set was never loaded but by
// SIGHUP, and a directory moved away and back left run not ready.
func TestWatchReloadsAPolicyDirectorySwappedIn(t *testing.T) {
	for _, how := range []string{"moved over", "a link re-pointed"} {
		t.Run(how, func(t *testing.T) {
			base := t.TempDir()
			path := filepath.Join(base, "policies")
			release := func(name, src string) string {
				dir := filepath.Join(base, name)
				must(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
				must(t, os.WriteFile(filepath.Join(dir, "main.rego"),
					[]byte(src), 0o644))
				return dir
			}
			v1 := release("v1", goodPolicy)
			if how == "moved over" {
				must(t, os.Rename(v1, path))
			} else {
				must(t, os.Symlink("v1", path))
			}
			reg := prometheus.NewRegistry()
			log := &logbuf.Buffer{}
			r, err := rules.NewReloader(t.Context(), rules.ReloaderConfig{
				Path: path, Registerer: reg, Debounce: 50 * time.Millisecond,
				Log: slog.New(slog.NewTextHandler(log, nil))})
			must(t, err)
			rig := &reloadRig{r: r, reg: reg, log: log}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() { done <- r.Watch(ctx) }()
			defer func() { cancel(); <-done }()
			waitUntil(t, "the watch starts", func() bool {
				return strings.Contains(log.String(), "watching policies")
			})

			release("v2", otherPolicy)
			if how == "moved over" {
				must(t, os.Rename(path, filepath.Join(base, "old")))
				must(t, os.Rename(filepath.Join(base, "v2"), path))
			} else {
				must(t, os.Symlink("v2", filepath.Join(base, "next")))
				must(t, os.Rename(filepath.Join(base, "next"), path))
			}

			waitUntil(t, "the new directory is in force", func() bool {
				return rig.severity(t) == "high"
			})
			// And the new directory is watched, down to its subdirectories.
			must(t, os.WriteFile(filepath.Join(path, "sub", "zz.rego"),
				[]byte("package killswitch.zz\n\nbroken := {\n"), 0o644))
			waitUntil(t, "a fault in the new directory is seen", func() bool {
				return r.ReloadErr() != nil
			})
		})
	}
}

// A file written over and over beside the policies (a registry's WAL
// next to a bundle, or next to ./policies) restarted the debounce on
// every write, so an update was put off for as long as the writes went
// on: under a steady stream of alerts, for good.
func TestWatchReloadsThoughTheDirectoryBesideNeverFallsQuiet(t *testing.T) {
	for _, kind := range []string{"bundle", "directory"} {
		t.Run(kind, func(t *testing.T) {
			base := t.TempDir()
			path := filepath.Join(base, "policies")
			update := func(src string) {
				if kind == "bundle" {
					must(t, os.WriteFile(path+".tmp", bundleOf(t, src), 0o644))
					must(t, os.Rename(path+".tmp", path))
					return
				}
				must(t, os.WriteFile(filepath.Join(path, "main.rego"),
					[]byte(src), 0o644))
			}
			if kind == "bundle" {
				path += ".tar.gz"
			} else {
				must(t, os.Mkdir(path, 0o755))
			}
			update(goodPolicy)
			reg := prometheus.NewRegistry()
			log := &logbuf.Buffer{}
			r, err := rules.NewReloader(t.Context(), rules.ReloaderConfig{
				Path: path, Registerer: reg, Debounce: 100 * time.Millisecond,
				Log: slog.New(slog.NewTextHandler(log, nil))})
			must(t, err)
			rig := &reloadRig{r: r, reg: reg, log: log}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() { done <- r.Watch(ctx) }()
			churned := make(chan struct{})
			go func() {
				defer close(churned)
				wal := filepath.Join(base, "killswitch.db-wal")
				for ctx.Err() == nil {
					os.WriteFile(wal, []byte(time.Now().String()), 0o644)
					time.Sleep(10 * time.Millisecond)
				}
			}()
			defer func() { cancel(); <-done; <-churned }()
			waitUntil(t, "the watch starts", func() bool {
				return strings.Contains(log.String(), "watching policies")
			})

			update(otherPolicy)

			waitUntil(t, "the update is in force", func() bool {
				return rig.severity(t) == "high"
			})
		})
	}
}
