package runtime

// Crash stops the runtime as if its process died: no drain, no offset
// flush.
func (rt *Runtime) Crash() { rt.crash() }
