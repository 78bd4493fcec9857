package runtime

import connect "github.com/openmessaging/connect-go"

// converter returns the converter of the task's records: the runtime's
// (WithConverter, JSON by default).
func (t *taskRunner) converter() connect.Converter {
	return t.c.rt.converter
}
