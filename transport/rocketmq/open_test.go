package rocketmq_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transport/rocketmq"
)

func TestOpenReportsBadOptions(t *testing.T) {
	for name, c := range map[string]struct {
		opts  []rocketmq.Option
		field string
	}{
		"no name server": {nil, "WithNameServers"},
		"no port":        {[]rocketmq.Option{rocketmq.WithNameServers([]string{"127.0.0.1"})}, "WithNameServers"},
		"bad broker": {[]rocketmq.Option{rocketmq.WithNameServers([]string{"127.0.0.1:9876"}),
			rocketmq.WithBrokerAddrs([]string{"broker"})}, "WithBrokerAddrs"},
		"bad instance": {[]rocketmq.Option{rocketmq.WithNameServers([]string{"127.0.0.1:9876"}),
			rocketmq.WithInstanceName("a b")}, "WithInstanceName"},
	} {
		t.Run(name, func(t *testing.T) {
			tr := rocketmq.New(append(c.opts, nil)...) // nil options are ignored
			defer tr.Close()
			err := tr.Open(context.Background())
			var ce *connect.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, connect.ErrInvalidConfig) {
				t.Fatalf("Open: %v, want a *connect.ConfigError", err)
			}
			if ce.Fields[0].Field != c.field {
				t.Errorf("error names %q, want %q", ce.Fields[0].Field, c.field)
			}
			// The first use opens the transport and reports the same.
			if err := tr.Publish(context.Background(), &connect.Message{Topic: "t"}); !errors.Is(err, connect.ErrInvalidConfig) {
				t.Errorf("Publish: %v, want the config error", err)
			}
		})
	}
}

func TestOpenNamesUnreachableNameServer(t *testing.T) {
	tr := rocketmq.New(rocketmq.WithNameServers([]string{"127.0.0.1:1"}))
	defer tr.Close()
	err := tr.Open(context.Background())
	if err == nil || !connect.IsRetriable(err) || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Open: %v, want a retriable error naming 127.0.0.1:1", err)
	}
}

func TestClosedBeforeOpen(t *testing.T) {
	tr := rocketmq.New(rocketmq.WithNameServers([]string{"127.0.0.1:1"}))
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := tr.Open(context.Background()); !errors.Is(err, connect.ErrClosed) {
		t.Errorf("Open after Close: %v, want connect.ErrClosed", err)
	}
	if _, err := tr.Subscribe(context.Background(), "g", "t"); !errors.Is(err, connect.ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want connect.ErrClosed", err)
	}
}
