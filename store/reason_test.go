package store

import (
	"errors"
	"fmt"
	"testing"
)

func TestAReasonIsItsKindButSaysOnlyItsOwnWords(t *testing.T) {
	err := fmt.Errorf("lift lock %q: %w", "lck_1",
		Reason(ErrInvalid, "not in force: lifted by %s", "operator:erin"))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("%v is not ErrInvalid", err)
	}
	want := `lift lock "lck_1": not in force: lifted by operator:erin`
	if err.Error() != want {
		t.Fatalf("%q, want %q", err, want)
	}
}
