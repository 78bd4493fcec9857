// Package connecttest is the kit for testing connectors: an acceptance
// suite every connector should pass, ready-made sources and a sink for
// testing pipelines, and task contexts for driving a task without the
// runtime.
//
// # Acceptance suite
//
// AcceptanceTest runs the same checks on any connector: its spec is complete
// and its config rules hold, and its tasks do their job across a restart
// without losing records and without leaving goroutines behind. A connector
// author writes a Driver saying how to configure the connector and how to
// write its input (for a source) or read its output (for a sink):
//
//	func TestAcceptance(t *testing.T) {
//		path := filepath.Join(t.TempDir(), "in.txt")
//		os.WriteFile(path, nil, 0o644)
//		connecttest.AcceptanceTest(t, connecttest.Driver{
//			Connector:   func() connect.Connector { return mysource.New() },
//			Config:      connect.Config{"file": path, "topic": "lines"},
//			WriteSource: func(t testing.TB, n int) []string { ... append n lines, return them ... },
//			RecordID:    func(r *connect.Record) string { return r.Value.(string) },
//		})
//	}
//
// # Pipelines
//
// SliceSource emits a fixed list of records and Generator emits records made
// on the fly; both resume from the offset stored for them, so they exercise
// the runtime's offset handling. Collector is a sink that keeps what it is
// given, counting a record only once a Flush made it durable, and can be
// told to fail Put or Flush. The runtime takes connectors as factories:
//
//	col := connecttest.NewCollector()
//	runtime.WithPlugin("collect", func() connect.Connector { return col.Connector() })
//	runtime.WithPlugin("numbers", func() connect.Connector { return connecttest.NewGenerator(nil, 1000) })
//
// # Driving tasks by hand
//
// NewConnectorContext, NewSourceTaskContext and NewSinkTaskContext return
// the contexts the runtime would pass, so a unit test can call Start, Poll,
// Put and Flush itself. A SourceTaskContext reads stored positions from an
// OffsetStore the test controls (an offset.Memory by default).
package connecttest
