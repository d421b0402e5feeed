package store

import "testing"

func TestParseCountryTakesTwoLettersInEitherCase(t *testing.T) {
	cases := []struct {
		name, in, want string
		bad            bool
	}{
		{"an empty value is no filter", "", "", false},
		{"lower case is upper-cased", "us", "US", false},
		{"upper case stays", "DE", "DE", false},
		{"three letters are refused", "ZZZ", "", true},
		{"a digit is refused", "us1", "", true},
		{"one letter is refused", "u", "", true},
		{"a non-ASCII letter is refused", "dé", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseCountry(c.in)
			if (err != nil) != c.bad || got != c.want {
				t.Fatalf("ParseCountry(%q) = %q, %v", c.in, got, err)
			}
		})
	}
}
