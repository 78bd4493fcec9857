// Package filestream holds the reference connectors of connect-go: a source
// that emits the lines appended to a text file (FileStreamSource) and a sink
// that appends records to a text file (FileStreamSink), like Kafka Connect's
// connectors of the same names. They are small on purpose: copy them to
// start a connector of your own.
//
// The package sits at the top of the module, beside mysqlsource, although
// the design's layout names only that one: built-in connectors are
// importable packages of their own, and a connector imports connect, never
// the runtime.
//
// # Using them
//
//	rt := runtime.New(
//		runtime.WithPlugin("file-source", func() connect.Connector { return filestream.NewSource() }),
//		runtime.WithPlugin("file-sink", func() connect.Connector { return filestream.NewSink() }),
//	)
//
// Source settings: file (required; must exist when the task starts), topic
// (required), batch.size (lines per poll, default 2000), poll.interval (wait
// at the end of the file, default 100ms). Sink settings: file (required;
// created if missing).
//
// # How they are built
//
// The spec comes first (source.go, sink.go). Each setting is a connect.Field
// with a type, a default or Required, and a description. The runtime
// validates configs against the spec and fills in defaults before calling
// Start, so the connector reads settings with cfg.Int, cfg.Duration and so
// on, without checking them again.
//
// The connector is the part that runs once per configured instance. Here
// there is nothing to split, so connect.NewSource and connect.NewSink make
// it from the spec and a function returning a new task: it keeps the config
// and hands it to a single task. A connector reading many tables would
// return one config per group of tables instead, at most maxTasks of them
// (connect.WithSplitList does that for a list setting).
//
// The source task does the work. Start opens the file and asks its
// SourceTaskContext for the stored position; Poll reads complete lines and
// returns them as records. Each record carries a connect.Position: the
// partition names the file ("file:" + absolute path) and the offset is the
// byte offset just after the line ({"pos": 1234}). Kafka Connect's REST
// API shows and takes them in Kafka's FileStreamSource shape (Source
// implements connect.KafkaOffsets):
//
//	{"partition": {"filename": "/abs/path"}, "offset": {"position": 1234}}
//
// A relative filename in a PATCH is taken from the worker's working
// directory, as file is. The runtime commits a
// record's position once the record is safely on the transport, and a
// restarted task seeks to the committed position: nothing is lost, and at
// most the lines since the last commit are read twice. Three details carry
// the correctness:
//
//   - a line is emitted only once its newline is written, so a line being
//     written is never split, and the position always points at the start
//     of a line;
//   - at the end of the file Poll waits poll.interval and reads again, and
//     returns as soon as its ctx is done;
//   - a file shorter than the position reached was truncated or replaced:
//     the task fails with a connect.Fatal error instead of skipping data.
//
// A missing file fails Start with an error naming it; the runtime retries
// the task with backoff, so it starts once the file appears. A record's Key
// is the file's path, so that the transport keeps the file's lines in order
// (Kafka's FileStreamSource leaves it null and loses the order across
// partitions).
//
// The sink task appends one line per record: strings and byte slices as
// they are, other values and change events as JSON. Put only buffers, in
// memory; Flush writes the buffer and fsyncs the file, because the runtime
// acknowledges messages to the transport once Flush returns, so Flush must
// mean durable. A record that cannot be encoded is reported in a
// *connect.BatchError while the rest of the batch is written. Stop closes
// the file without flushing: unflushed records are delivered again anyway.
// The file keeps whole lines only, so that a reader going line by line
// never meets half of one: a Flush whose write fails (a full disk) cuts off
// what it wrote, and Start cuts off a partial last line, left by a task
// killed inside a write. Either way the records of those lines were not
// acknowledged and come again.
// Both connectors run one task, since several writers appending to one file
// could interleave parts of lines.
//
// The tests (acceptance_test.go) run connecttest.AcceptanceTest on both
// connectors: a Driver says how to write the source's input and read the
// sink's output, and the suite checks the spec, config validation, resume
// after a restart without loss, and goroutine leaks. Write the same for
// your connector, then add tests of its own details.
//
// # Limitations
//
// The source follows the file it opened: a file rotated away by renaming is
// read to its end, the new file at the path is not picked up. Lines are held
// in memory whole, however long. The sink cannot tell a partial line of its
// own from a last line some other writer left without a newline: it cuts
// that one off too.
package filestream
