// Package rest serves a runtime's HTTP API: Kafka Connect's REST API (same
// paths, bodies and status codes, so Kafka Connect's tools and clients work)
// and RocketMQ Connect's seed endpoints. It uses only the exported API of
// package runtime, so whatever it does an application can do in Go.
//
//	rt := runtime.New(...)
//	rt.Start(ctx)
//	http.ListenAndServe("127.0.0.1:8083", rest.NewHandler(rt, rest.WithAuthToken(token)))
//
// NewHandler's doc lists the endpoints. Errors are JSON bodies
// {"error_code": N, "message": "..."} with Kafka Connect's codes; an
// invalid config is 400 and names every bad field. A change the runtime
// cannot persist (runtime.ErrUnavailable) is 503. Secrets never leave:
// every value of a plugin's secret fields is masked in every body.
package rest
