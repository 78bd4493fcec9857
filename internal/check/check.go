package check

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Host accepts a host name or IP address without a port; for one with a
// port it names the two settings (hostKey, portKey) to use instead.
func Host(hostKey, portKey string) func(string) error {
	return func(v string) error {
		v = strings.TrimSpace(v)
		if strings.ContainsAny(v, " \t/") {
			return errors.New("must be a host name or IP address")
		}
		if h, p, err := net.SplitHostPort(v); err == nil {
			return fmt.Errorf("must not include a port: set %s to %s and %s to %s", hostKey, h, portKey, p)
		}
		return nil
	}
}

// IntRange accepts integers from lo to hi.
func IntRange(lo, hi int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be an integer from %d to %d, got %q", lo, hi, v)
		}
		return nil
	}
}

// PositiveDuration accepts a Go duration above zero ("10s").
func PositiveDuration(v string) error {
	if d, err := time.ParseDuration(strings.TrimSpace(v)); err != nil || d <= 0 {
		return fmt.Errorf("must be a positive duration, got %q", v)
	}
	return nil
}
