package sqlstore

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/killswitch-dev/killswitch/store"
)

// HoldsText reports whether s is text PostgreSQL can hold: UTF-8 with
// no NUL character.
func HoldsText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// CheckText is store.ErrInvalid when an argument of a write is text
// PostgreSQL cannot hold (HoldsText), or a list holding such text, as
// PostgreSQL refuses it: store/sqlite asks it of every write, so that
// both registries keep the same and a test on SQLite meets what
// PostgreSQL would refuse.
func CheckText(args []any) error {
	for i, a := range args {
		v := reflect.ValueOf(a)
		switch {
		case !v.IsValid():
		case v.Kind() == reflect.String:
			if !HoldsText(v.String()) {
				return badText(i, v.String())
			}
		case v.Kind() == reflect.Slice &&
			v.Type().Elem().Kind() == reflect.String:
			for j := range v.Len() {
				if s := v.Index(j).String(); !HoldsText(s) {
					return badText(i, s)
				}
			}
		}
	}
	return nil
}

func badText(i int, s string) error {
	return fmt.Errorf("value %d (%q): text with a NUL character or "+
		"bytes that are not UTF-8: %w", i+1, s, store.ErrInvalid)
}
