package duration

import (
	"errors"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"36h", 36 * time.Hour, false},
		{"7d", 7 * day, false},
		{"-2d", -2 * day, false},
		{"106751d", 106751 * day, false},
		{"106752d", 0, true},
		{"213504d", 0, true},
		{"9999999999999999999d", 0, true},
		{"1.5d", 0, true},
		{"d", 0, true},
		{"soon", 0, true},
	} {
		got, err := Parse(c.in)
		if c.bad != (err != nil) || got != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %v (error %v)", c.in, got,
				err, c.want, c.bad)
		}
	}
	if _, err := Parse("soon"); !errors.Is(err, ErrSyntax) {
		t.Errorf("Parse(soon) = %v, want ErrSyntax", err)
	}
}
