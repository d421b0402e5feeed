package console

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// from serves r to the console as if it came from remote.
func (f *fixture) from(remote string, r *http.Request) *httptest.ResponseRecorder {
	r.RemoteAddr = remote
	w := httptest.NewRecorder()
	f.con.Handler().ServeHTTP(w, r)
	return w
}

// A client holds a whole IPv6 /64: failed sign-ins from addresses of
// one /64 are held back together, as the API's are, and an IPv4 client
// is one address however it is written.
func TestFailedSignInsCountAgainstTheClientsSlash64(t *testing.T) {
	for name, remotes := range map[string][]string{
		"IPv6 addresses of one /64": {"[2001:db8:1:2::%x]:4000"},
		"IPv4 written plain and mapped": {"192.0.2.7:%d",
			"[::ffff:192.0.2.7]:%d"},
	} {
		f := newFixture(t, nil)
		var w *httptest.ResponseRecorder
		for i := range guardBurst + 1 {
			form := url.Values{"token": {"ks_not_a_token"}, "next": {"/"}}
			r := httptest.NewRequest("POST", "/login",
				strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w = f.from(fmt.Sprintf(remotes[i%len(remotes)], 1000+i), r)
		}
		if w.Code != http.StatusTooManyRequests {
			t.Errorf("%s: failure %d in a row: status %d, want 429",
				name, guardBurst+1, w.Code)
		}
	}
}

// An address held back stays held back however many other addresses
// fail: the guard forgets only those whose allowance is full again.
func TestTheGuardForgetsNoAddressItHoldsBack(t *testing.T) {
	now := time.Unix(1e9, 0)
	g := newLoginGuard(func() time.Time { return now })
	for range guardBurst {
		g.failed("198.51.100.1")
	}
	for i := range maxGuarded + 1 {
		g.failed(fmt.Sprintf("2001:db8:%x::/64", i))
	}
	if g.allow("198.51.100.1") {
		t.Fatalf("an address held back was forgotten after %d others "+
			"failed", maxGuarded+1)
	}
}

// Sign-ins with the provider started from many addresses of one /64
// are bounded as those of one address: they cannot push out the
// sign-in of another client.
func TestSignInsInProgressAreBoundedPerSlash64(t *testing.T) {
	p := newIDP(t, nil)
	l, redirect := listenConsole(t)
	h := p.start(0, redirect)
	c := newOIDCConsole(t, l, h.Issuer())
	if err := c.con.DiscoverOIDC(t.Context()); err != nil {
		t.Fatal(err)
	}
	start := func(remote string) *http.Cookie {
		w := c.from(remote, httptest.NewRequest("GET", "/oidc/login?next=/",
			nil))
		if w.Code != http.StatusFound {
			t.Fatalf("sign-in from %s: status %d, want 302:\n%s",
				remote, w.Code, w.Body)
		}
		return w.Result().Cookies()[0]
	}
	mine := start("[2001:db8:aaaa::1]:4000")
	for i := range 3 * flowsPerAddress {
		start(fmt.Sprintf("[2001:db8:bbbb:0:%x::1]:4000", i))
	}
	o := c.con.oidc
	o.mu.Lock()
	n := len(o.flows)
	o.mu.Unlock()
	if n != 1+flowsPerAddress {
		t.Errorf("%d sign-ins in progress, want %d: one of the first "+
			"client and %d of the /64", n, 1+flowsPerAddress,
			flowsPerAddress)
	}
	if _, ok := o.finish(mine.Value); !ok {
		t.Error("the first client's sign-in was forgotten")
	}
}

// The page a sign-in returns to is kept with each OIDC sign-in in
// progress, so its length is bounded: one as long as a request's
// header may be (a mebibyte) was kept whole, and the 10,000 sign-ins
// the console remembers could hold ten gibibytes.
func TestASignInsReturnPathIsBounded(t *testing.T) {
	long := "/sessions?q=" + strings.Repeat("a", 1<<20)
	if got := localPath(long); got != "/" {
		t.Errorf("a return path of %d bytes kept as %d bytes", len(long),
			len(got))
	}
	ok := "/sessions?q=" + strings.Repeat("a", 1000)
	if got := localPath(ok); got != ok {
		t.Errorf("a return path of %d bytes not kept", len(ok))
	}
	// Re-encoded, a path may grow past the bound: ü is 6 bytes encoded.
	grows := "/principals/" + strings.Repeat("ü", maxReturnPath/3)
	if got := localPath(grows); len(got) > maxReturnPath {
		t.Errorf("a return path re-encoded to %d bytes kept", len(got))
	}
}
