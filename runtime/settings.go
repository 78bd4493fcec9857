package runtime

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
)

// Connector settings the runtime itself reads. They travel in the same
// Config as the plugin's own settings, under Kafka Connect's names.
const (
	KeyConnectorClass  = "connector.class"
	KeyTasksMax        = "tasks.max"
	KeyTopic           = "topic"  // source: default topic for records without one
	KeyTopics          = "topics" // sink: comma-separated topics to consume
	KeyBatchSize       = "batch.size.max"
	KeyErrorsTolerance = "errors.tolerance"
	KeyDeadLetterTopic = "errors.deadletterqueue.topic.name"
	KeyRetryTimeout    = "errors.retry.timeout"
	KeyRetryMaxDelay   = "errors.retry.delay.max"
	// KeyRetryMaxDelayMs is Kafka Connect's name of KeyRetryMaxDelay, in
	// milliseconds; accepted as an alias.
	KeyRetryMaxDelayMs  = "errors.retry.delay.max.ms"
	KeyErrorsLogEnable  = "errors.log.enable"
	ToleranceNone       = "none"
	ToleranceAll        = "all"
	defaultSinkGroupFmt = "connect-%s"
)

// Settings describes the runtime's connector settings; validation of a
// connector config checks these and the plugin's own spec. The result is
// a copy the caller may change.
func Settings() connect.ConfigSpec { return slices.Clone(settingsSpec) }

var settingsSpec = connect.ConfigSpec{
	{Name: KeyConnectorClass, Required: true, Description: "Name of the connector plugin to run."},
	{Name: KeyTasksMax, Type: connect.FieldInt, Default: "1", Validate: int32AtLeast(1),
		Description: "Maximum number of tasks the connector may run."},
	{Name: KeyTopic, Description: "Source connectors: topic for records that name none."},
	{Name: KeyTopics, Type: connect.FieldList, Description: "Sink connectors: comma-separated topics to consume."},
	{Name: KeyBatchSize, Type: connect.FieldInt, Default: "1000", Validate: int32AtLeast(1),
		Description: "Most records handed to a sink task's Put, or published together by a source task."},
	{Name: KeyErrorsTolerance, Default: ToleranceNone, Allowed: []string{ToleranceNone, ToleranceAll},
		Description: "none: a record that cannot be converted or written fails the task. all: it goes to the dead-letter topic (or is logged and counted when none is set) and the task goes on."},
	{Name: KeyDeadLetterTopic, Description: "Topic receiving records that failed conversion or writing, with error headers."},
	{Name: KeyRetryTimeout, Default: "1m", Validate: func(v string) error { _, err := parseRetryDuration(v, true); return err },
		Description: "How long retriable errors are retried with backoff before the task fails: a duration (30s, 5m) or, as in Kafka Connect, milliseconds; -1 retries forever, 0 fails at once."},
	{Name: KeyRetryMaxDelay, Default: "10s", Aliases: []string{KeyRetryMaxDelayMs},
		Validate: func(v string) error {
			d, err := parseRetryDuration(v, false)
			if err == nil && d <= 0 {
				err = errors.New("must be positive")
			}
			return err
		},
		Description: "Longest delay between retries of a retriable error: a duration (10s) or, as in Kafka Connect's " + KeyRetryMaxDelayMs + ", milliseconds."},
	{Name: KeyErrorsLogEnable, Type: connect.FieldBool, Default: "true",
		Description: "Log each record that failed and was tolerated."},
	// key.converter, value.converter, header.converter: listed here,
	// checked with their sub-settings by validateCompat.
	converter.Settings()[0], converter.Settings()[1], converter.Settings()[2],
}

// settings are the parsed runtime settings of one connector.
type settings struct {
	class        string
	tasksMax     int
	topic        string
	topics       []string
	batchSize    int
	tolerateAll  bool
	deadLetter   string
	retryTimeout time.Duration
	retryMax     time.Duration
	logErrors    bool
	// conv is the connector's own converter (key.converter,
	// value.converter); nil when it sets none.
	conv *connectorConverter
}

func parseSettings(cfg connect.Config) settings {
	c := settingsSpec.Apply(cfg)
	return settings{
		class:        c.Get(KeyConnectorClass),
		tasksMax:     c.Int(KeyTasksMax),
		topic:        c.Get(KeyTopic),
		topics:       c.List(KeyTopics),
		batchSize:    c.Int(KeyBatchSize),
		tolerateAll:  c.Get(KeyErrorsTolerance) == ToleranceAll,
		deadLetter:   c.Get(KeyDeadLetterTopic),
		retryTimeout: mustRetryDuration(c.Get(KeyRetryTimeout)),
		retryMax:     mustRetryDuration(c.Get(KeyRetryMaxDelay)),
		logErrors:    c.Bool(KeyErrorsLogEnable),
		conv:         newConnectorConverter(cfg),
	}
}

// sinkGroup is the consumer group of a sink connector, as in RocketMQ
// Connect and Kafka Connect.
func sinkGroup(connector string) string { return fmt.Sprintf(defaultSinkGroupFmt, connector) }

func taskLabel(connector string, id int) string { return connector + "-" + strconv.Itoa(id) }

// forever is the retry timeout of errors.retry.timeout=-1.
const forever = time.Duration(math.MaxInt64)

// parseRetryDuration reads a retry setting: a Go duration, or an integer
// number of milliseconds as Kafka Connect's settings are; with
// allowForever, -1 is forever.
func parseRetryDuration(v string, allowForever bool) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case ms == -1 && allowForever:
			return forever, nil
		case ms < 0 && allowForever:
			return 0, fmt.Errorf("must be -1 (forever), 0 or a positive number of milliseconds, got %d", ms)
		case ms < 0:
			return 0, fmt.Errorf("must be a positive number of milliseconds, got %d", ms)
		case ms > int64(forever/time.Millisecond):
			return 0, fmt.Errorf("%d milliseconds is out of range", ms)
		}
		return time.Duration(ms) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("must be a duration such as 500ms or 10s, or a number of milliseconds, got %q", v)
	}
	if d < 0 {
		return 0, fmt.Errorf("must not be negative, got %q", v)
	}
	return d, nil
}

// mustRetryDuration parses a validated retry setting.
func mustRetryDuration(v string) time.Duration {
	d, _ := parseRetryDuration(v, true)
	return d
}

// int32AtLeast accepts integers from min to Kafka's INT maximum (2^31-1).
func int32AtLeast(min int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < min || n > math.MaxInt32 {
			return fmt.Errorf("must be an integer from %d to %d, got %q", min, math.MaxInt32, v)
		}
		return nil
	}
}
