// Package loglevels sets the level of named loggers at run time, as Kafka
// Connect's /admin/loggers does with log4j's: a slog.Handler wrapper gives
// each record the name of its logger, taken from the attributes the logger
// was made with, and drops the record below that name's level.
//
// # Names
//
// Names are dotted; a logger without a level of its own takes its
// parent's, up to "root":
//
//	root                 everything else (the worker's own lines)
//	runtime              a runtime's lines (loggers with a "worker" attribute)
//	runtime.rest         its REST API (component=rest)
//	runtime.cluster      its cluster membership (component=cluster)
//	transport            the transport (a "transport" attribute)
//	connector.<name>     one connector and its tasks (a "connector" attribute)
//
// Setting a name's level sets it on every known logger below it too, as
// log4j does for Kafka Connect.
//
//	lv := loglevels.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: loglevels.LevelTrace}), slog.LevelInfo)
//	rt := runtime.New(runtime.WithLogger(slog.New(lv.Handler())))
//	lv.Set("connector.orders", slog.LevelDebug)
package loglevels
