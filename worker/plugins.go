package worker

import (
	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/filestream"
	"github.com/openmessaging/connect-go/mysqlsource"
	"github.com/openmessaging/connect-go/runtime"
)

// builtins returns the connector plugins built into every worker, by the
// names a connector's connector.class gives. Register a new built-in
// connector here; an application adds its own with WithPlugin.
func builtins() map[string]runtime.Factory {
	return map[string]runtime.Factory{
		"FileStreamSource": func() connect.Connector { return filestream.NewSource() },
		"FileStreamSink":   func() connect.Connector { return filestream.NewSink() },
		"MySQLSource":      func() connect.Connector { return mysqlsource.New() },
	}
}
