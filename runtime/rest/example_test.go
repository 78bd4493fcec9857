package rest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/connecttest"
	"github.com/openmessaging/connect-go/runtime"
	"github.com/openmessaging/connect-go/runtime/rest"
)

// The REST handler speaks Kafka Connect's API; mount it on any server.
func ExampleNewHandler() {
	ctx := context.Background()
	rt := runtime.New(runtime.WithPlugin("collect", func() connect.Connector { return connecttest.NewCollector().Connector() }))
	if err := rt.Start(ctx); err != nil {
		panic(err)
	}
	defer rt.Stop(ctx)
	srv := httptest.NewServer(rest.NewHandler(rt))
	defer srv.Close()

	body := `{"name": "sink", "config": {"connector.class": "collect", "topics": "numbers"}}`
	resp, err := http.Post(srv.URL+"/connectors", "application/json", strings.NewReader(body))
	must(err)
	resp.Body.Close()
	fmt.Println(resp.Status)

	resp, err = http.Get(srv.URL + "/connectors")
	must(err)
	names, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(strings.TrimSpace(string(names)))
	// Output:
	// 201 Created
	// ["sink"]
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
