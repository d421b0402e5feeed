package restclient

import "testing"

// A message cut to its limit is cut between characters, never inside
// one: "café" cut at 4 bytes left half of the é.
func TestATruncatedMessageStaysUTF8(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"café", 4, "caf..."},
		{"café", 5, "café"},
		{"日本語", 4, "日..."},
		{"日本語", 2, "..."},
		{"abc", 2, "ab..."},
	} {
		if got := truncate(c.in, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
