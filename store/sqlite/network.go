package sqlite

import (
	"database/sql/driver"
	"net/netip"

	"modernc.org/sqlite"
)

// inNetwork is the SQL function inNetwork(ip, prefix): 1 when the text
// ip is an address within the CIDR text prefix, else 0 (also for an
// empty or unparsable ip, and NULL).
const inNetwork = "killswitch_in_network"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(inNetwork, 2, ipInPrefix)
}

// ipInPrefix implements inNetwork.
func ipInPrefix(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	ip, _ := args[0].(string)
	prefix, _ := args[1].(string)
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		return nil, err
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return int64(0), nil
	}
	if p.Contains(a.Unmap()) {
		return int64(1), nil
	}
	return int64(0), nil
}
