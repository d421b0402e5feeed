package api

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddressesAreCountedByIPv4AddressOrIPv6Slash64(t *testing.T) {
	cases := []struct{ remote, want string }{
		{"198.51.100.7:5123", "198.51.100.7"},
		{"[2001:db8:1:2:aaaa::1]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb::9]:443", "2001:db8:1:2::/64"},
		{"[::ffff:198.51.100.7]:80", "198.51.100.7"},
		{"not-an-address", "not-an-address"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/v1/principals", nil)
		r.RemoteAddr = c.remote
		if got := ClientAddr(r); got != c.want {
			t.Errorf("ClientAddr(%q) = %q, want %q", c.remote, got, c.want)
		}
	}
}
