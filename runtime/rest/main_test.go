package rest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind once its runtime stopped.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
