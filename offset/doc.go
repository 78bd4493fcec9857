// Package offset holds connect.OffsetStore implementations: where a source's
// positions are kept so that a restarted task resumes where it stopped.
//
// # Stores
//
// Memory keeps positions in a map. It is the store for tests and for
// pipelines that may start over after a restart.
//
// File keeps them in one JSON file and is the embedded worker's default. Every
// Put and Delete rewrites the whole file atomically (write a temporary file in
// the same directory, fsync it, rename it over the target, fsync the
// directory), so a crash at any moment, kill -9 included, leaves either the
// old or the new state on disk, never a mix and never a torn file. A Put that
// changes nothing writes nothing. The file is created with mode 0600 and is
// meant to be used by one process at a time.
//
// Topic keeps them in a topic of a connect.MessageTransport, for the workers
// of a cluster to share: each Put, Delete and DeleteAll is one record of a
// totally ordered log every Topic store on the topic reads
// (internal/topiclog), Sync reads it to its end, and periodic snapshots keep
// the state whole when the transport's retention removes old records. See
// Topic for the records and the snapshot rules.
//
// # File format
//
//	{
//	  "version": 1,
//	  "connectors": {
//	    "orders-source": {
//	      "file:/var/log/orders.log": {"pos": 4096}
//	    }
//	  }
//	}
//
// Offsets are stored as the JSON the source produced (compacted). Open
// refuses a file it cannot read, parse or does not know the version of, with
// an error naming the file: starting a source from the beginning because its
// offsets were unreadable would silently replay or skip data, so the operator
// decides (restore the file, or delete it to start over).
//
// # Validation
//
// Both stores reject an empty connector name, an empty partition and an
// offset that is not valid JSON, and both compact offsets on Put, so the same
// Position reads back byte-identical from either.
package offset
