// Package testenv gives integration tests the addresses of the real
// services scripts/services.sh starts, and the CA of the test MariaDB's TLS
// certificate. Without them a test is skipped on a developer's machine and
// fails under CI=true: CI must never pass by skipping.
package testenv
