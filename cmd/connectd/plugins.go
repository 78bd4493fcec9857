package main

import (
	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/filestream"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/runtime"
)

// plugins returns the connector plugins built into connectd, by the names
// a connector's connector.class gives. GET /connector-plugins lists exactly
// these. Register a new built-in connector here.
func plugins() []runtime.Option {
	return []runtime.Option{
		runtime.WithPlugin("FileStreamSource", func() connect.Connector { return filestream.NewSource() }),
		runtime.WithPlugin("FileStreamSink", func() connect.Connector { return filestream.NewSink() }),
		runtime.WithPlugin("MySQLSource", func() connect.Connector { return mysqlsource.New() }),
	}
}
