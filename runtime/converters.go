package runtime

import (
	"fmt"
	"sync"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
)

// converter returns the converter of the task's records: the connector's
// own when its config sets key.converter or value.converter, else the
// runtime's (WithConverter, JSON by default).
func (t *taskRunner) converter() connect.Converter {
	if cc := t.set.conv; cc != nil {
		return cc.get(t.c.rt.converter)
	}
	return t.c.rt.converter
}

// connectorConverter is a connector's converter, built on first use from
// its settings and the runtime's converter (for a part the settings leave
// out), then shared by its tasks. The source and sink loops ask for it for
// every batch or record, so after the first call it costs one atomic load.
type connectorConverter struct {
	cfg  connect.Config // the converter settings alone
	once sync.Once
	cv   connect.Converter
}

// newConnectorConverter returns nil when cfg sets no converter.
func newConnectorConverter(cfg connect.Config) *connectorConverter {
	if !converter.Configured(cfg) {
		return nil
	}
	sub := connect.Config{}
	for k, v := range cfg {
		if converter.Configured(connect.Config{k: v}) {
			sub[k] = v
		}
	}
	return &connectorConverter{cfg: sub}
}

func (c *connectorConverter) get(fallback connect.Converter) connect.Converter {
	c.once.Do(func() {
		cv, err := converter.FromConfig(c.cfg, fallback)
		if err != nil {
			// Validation rejects such configs; one stored before this
			// worker's version could still carry one. Its records fail
			// conversion with the reason rather than use another converter.
			cv = failedConverter{fmt.Errorf("runtime: the connector's converter settings: %w", err)}
		}
		c.cv = cv
	})
	return c.cv
}

// failedConverter fails every conversion with err.
type failedConverter struct{ err error }

func (f failedConverter) Encode(*connect.Record) (*connect.Message, error) { return nil, f.err }
func (f failedConverter) Decode(*connect.Message) (*connect.Record, error) { return nil, f.err }

// validateConverters adds a field error for each bad converter setting.
func validateConverters(cfg connect.Config, errs *connect.ConfigError) {
	if !converter.Configured(cfg) {
		return
	}
	if _, err := converter.FromConfig(cfg, nil); err != nil {
		if ce, ok := err.(*connect.ConfigError); ok {
			errs.Fields = append(errs.Fields, ce.Fields...)
		} else {
			errs.Add(converter.ValueConverter, "%v", err)
		}
	}
}
