package runtime_test

import (
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
)

// A sink task sees where each record sat on the transport: the topic it
// was read from (also after a transform renamed the record's topic), its
// queue and offset, and that the message had a key. Per queue the offsets
// of a sink's records are those of the messages, so they increase by one.
func TestSinkRecordsCarryTheirOrigin(t *testing.T) {
	const total = 300
	col := connecttest.NewCollector()
	rt := startRuntime(t,
		runtime.WithPlugin("gen", func() connect.Connector { return connecttest.NewGenerator(seqRecord("origin", 7), total) }),
		runtime.WithPlugin("col", func() connect.Connector { return col.Connector() }),
	)
	create(t, rt, "col", connect.Config{"connector.class": "col", "topics": "origin",
		"transforms": "rename", "transforms.rename.type": "RegexRouter",
		"transforms.rename.regex": "origin", "transforms.rename.replacement": "renamed"})
	create(t, rt, "gen", connect.Config{"connector.class": "gen"})
	waitCollected(t, col, total, 20*time.Second)

	next := map[int]int64{}
	for _, r := range col.Records() {
		o := r.Origin
		if o.Topic != "origin" || r.Topic != "renamed" || !o.Keyed {
			t.Fatalf("record of topic %q has origin %+v; want origin topic %q", r.Topic, o, "origin")
		}
		if want := next[o.Queue]; o.Offset != want {
			t.Fatalf("queue %d: offset %d after %d records of it", o.Queue, o.Offset, want)
		}
		next[o.Queue] = o.Offset + 1
	}
	if len(next) < 2 {
		t.Errorf("records came from %d queues; the test wants keys spread over several", len(next))
	}
}
