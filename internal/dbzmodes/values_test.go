package dbzmodes

import (
	"bytes"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

// TestUnscaledBytes: the int64 fast path and the big.Int path agree with
// each other (Java's BigInteger.toByteArray), at the byte-size edges too.
func TestUnscaledBytes(t *testing.T) {
	ns := []int64{0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769,
		math.MaxInt64, math.MinInt64, math.MaxInt64 / 10, 999999999999999999, -999999999999999999}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		ns = append(ns, r.Int64()>>r.IntN(63))
	}
	for _, n := range ns {
		if got, want := int64Bytes(n), bigBytes(big.NewInt(n)); !bytes.Equal(got, want) {
			t.Fatalf("%d: int64Bytes %x, bigBytes %x", n, got, want)
		}
	}
	// 18 digits take the fast path, 19 the big one: both agree.
	for _, s := range []string{"999999999999999999", "9999999999999999999", "-999999999999999999", "-9999999999999999999"} {
		got, err := unscaledBytes(s, 0)
		if err != nil {
			t.Fatal(err)
		}
		var x big.Int
		x.SetString(s, 10)
		if want := bigBytes(&x); !bytes.Equal(got, want) {
			t.Fatalf("%s: %x, want %x", s, got, want)
		}
	}
	if got, _ := unscaledBytes("5", 2); !bytes.Equal(got, []byte{0x01, 0xf4}) { // 500
		t.Fatalf("a decimal with fewer digits than its scale: %x", got)
	}
	if got := uint64Bytes(math.MaxUint64); !bytes.Equal(got, []byte{0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) {
		t.Fatalf("uint64Bytes(max) = %x", got)
	}
}

// TestISOText: Java's ISO formatters' fraction rules.
func TestISOText(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 100_000, time.UTC)
	cases := map[string]string{
		isoTimestamp(at, 0):               "2024-01-02T03:04:05.0001Z",
		isoTimestamp(at, 6):               "2024-01-02T03:04:05.000100Z",
		isoTimestamp(at, 2):               "2024-01-02T03:04:05.00Z",
		isoTimestamp(at.Truncate(1e9), 0): "2024-01-02T03:04:05Z",
		isoTime(0):                        "00:00:00Z",
		isoTime(usPerDay - 1):             "23:59:59.999999Z",
		isoTime(1_500_000):                "00:00:01.5Z",
		isoDate(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)): "0000-01-01Z",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	if d := epochDays(time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)); d != -1 {
		t.Errorf("epochDays(1969-12-31) = %d", d)
	}
}
