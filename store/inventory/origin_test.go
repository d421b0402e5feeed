package inventory

import (
	"strings"
	"testing"
)

func TestALockOnEveryAddressIsRefusedNamingItsTarget(t *testing.T) {
	_, err := Parse([]byte(`principals: []
locks:
  - {id: all, target_type: origin, target: "::/0", reason: x}
`), "inv.yaml")
	if err == nil || !strings.Contains(err.Error(), "locks[0].target") ||
		!strings.Contains(err.Error(), "every address") {
		t.Fatalf("Parse = %v, want locks[0].target refused as every address", err)
	}
}
