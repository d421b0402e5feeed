// Package peertest runs real identity services (Ory Kratos, Ory Hydra)
// for connector and console tests: each on 127.0.0.1 on free ports, with
// an in-memory database, its configuration in the test's temporary
// directory, and stopped by its PID when the test ends.
//
// The binaries come from scripts/build-peers, which builds them into
// $KILLSWITCH_PEERS_DIR (default ~/.cache/killswitch-peers). A test whose
// binary is missing skips with a message saying so, except under
// CI=true, where it fails.
package peertest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// readyTimeout bounds how long a peer may take to answer its health
// check: a hang, not a speed check.
const readyTimeout = 60 * time.Second

// PeersDir is where scripts/build-peers puts the binaries.
func PeersDir() string {
	if d := os.Getenv("KILLSWITCH_PEERS_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "killswitch-peers")
	}
	return filepath.Join(home, ".cache", "killswitch-peers")
}

// Binary returns the path of peer name at version, built by
// scripts/build-peers. It skips the test when the binary is missing, or
// fails it under CI=true.
func Binary(t testing.TB, name, version string) string {
	t.Helper()
	path := filepath.Join(PeersDir(), name+"-"+version, name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	missing(t, fmt.Sprintf("%s %s is not built at %s: run scripts/build-peers",
		name, version, path))
	return ""
}

// missing skips the test with msg, or fails it under CI=true.
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// FreePort asks the kernel for a free port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process is a running peer.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// start runs bin with args in dir, its output going to a log file there,
// and stops it by PID when the test ends.
func start(t testing.TB, name, bin, dir string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out
	// The peer dies with the test binary, should that be killed before
	// its cleanup runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true,
		Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath,
		done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	return p
}

// stop ends the process by its PID: SIGTERM, then SIGKILL if it has not
// exited within five seconds.
func (p *process) stop() {
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// waitReady polls url until it answers 200, failing the test with the
// tail of the peer's log when it exits or does not answer in time.
func (p *process) waitReady(t testing.TB, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		if ready(ctx, url) {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready:\n%s", p.name, p.tail())
		case <-ctx.Done():
			t.Fatalf("%s not ready at %s after %s:\n%s", p.name, url,
				readyTimeout, p.tail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ready reports whether url answers 200.
func ready(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// tail is the end of the peer's log.
func (p *process) tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// baseURL is http://127.0.0.1:port.
func baseURL(port int) string {
	return "http://127.0.0.1:" + strconv.Itoa(port)
}
