package engine

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/killswitch-dev/killswitch/store"
)

// persistentCluster starts a broker on port that keeps its log and the
// group's offsets in dir, so that a restart on the same port and dir is a
// broker outage, not a new cluster.
func persistentCluster(t *testing.T, port int, dir string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port),
		kfake.DataDir(dir), kfake.SeedTopics(3, DefaultAlertsTopic,
			DefaultDLQTopic, DefaultRevocationsTopic))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A Kafka outage must not end consumption: once the broker is back, the
// engine takes up the alerts published since, without a restart.
func TestConsumingResumesAfterABrokerOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a broker outage; skipped with -short")
	}
	port, dir := freeLoopbackPort(t), t.TempDir()
	c := persistentCluster(t, port, dir)
	r := newRig(t, "../testdata/inventory.yaml", nil)
	r.cluster, r.brokers = c, []string{"127.0.0.1:" + strconv.Itoa(port)}
	r.svc = r.service(shippedPolicies(t))
	r.start()
	r.send([2][]byte{[]byte("erin"), readFile(t, erinAlert)})
	r.waitFor("erin's alert processed", func() bool { return r.settled(1) })

	c.Close()
	// Long enough for the client to give up on the group (it does
	// within seconds) and report it through FetchMessage.
	time.Sleep(10 * time.Second)
	c = persistentCluster(t, port, dir)
	t.Cleanup(c.Close)
	r.send([2][]byte{[]byte("grace"), readFile(t, graceAlert)})
	r.waitFor("grace's alert processed after the outage",
		func() bool { return r.settled(2) })
	r.stop()
	assertSessionStatus(t, r.store, "grace-okta-web", store.StatusRevoked)
}
