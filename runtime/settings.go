package runtime

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// Connector settings the runtime itself reads. They travel in the same
// Config as the plugin's own settings, under Kafka Connect's names.
const (
	KeyConnectorClass   = "connector.class"
	KeyTasksMax         = "tasks.max"
	KeyTopic            = "topic"  // source: default topic for records without one
	KeyTopics           = "topics" // sink: comma-separated topics to consume
	KeyBatchSize        = "batch.size.max"
	KeyErrorsTolerance  = "errors.tolerance"
	KeyDeadLetterTopic  = "errors.deadletterqueue.topic.name"
	KeyRetryTimeout     = "errors.retry.timeout"
	KeyRetryMaxDelay    = "errors.retry.delay.max"
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
	{Name: KeyTasksMax, Type: connect.FieldInt, Default: "1", Validate: connect.IntAtLeast(1),
		Description: "Maximum number of tasks the connector may run."},
	{Name: KeyTopic, Description: "Source connectors: topic for records that name none."},
	{Name: KeyTopics, Type: connect.FieldList, Description: "Sink connectors: comma-separated topics to consume."},
	{Name: KeyBatchSize, Type: connect.FieldInt, Default: "1000", Validate: connect.IntAtLeast(1),
		Description: "Most records handed to a sink task's Put, or published together by a source task."},
	{Name: KeyErrorsTolerance, Default: ToleranceNone, Allowed: []string{ToleranceNone, ToleranceAll},
		Description: "none: a record that cannot be converted or written fails the task. all: it goes to the dead-letter topic (or is logged and counted when none is set) and the task goes on."},
	{Name: KeyDeadLetterTopic, Description: "Topic receiving records that failed conversion or writing, with error headers."},
	{Name: KeyRetryTimeout, Type: connect.FieldDuration, Default: "1m",
		Description: "How long retriable errors are retried with backoff before the task fails. 0 fails at once."},
	{Name: KeyRetryMaxDelay, Type: connect.FieldDuration, Default: "10s",
		Description: "Longest delay between retries of a retriable error."},
	{Name: KeyErrorsLogEnable, Type: connect.FieldBool, Default: "true",
		Description: "Log each record that failed and was tolerated."},
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
		retryTimeout: c.Duration(KeyRetryTimeout),
		retryMax:     c.Duration(KeyRetryMaxDelay),
		logErrors:    c.Bool(KeyErrorsLogEnable),
	}
}

// sinkGroup is the consumer group of a sink connector, as in RocketMQ
// Connect and Kafka Connect.
func sinkGroup(connector string) string { return fmt.Sprintf(defaultSinkGroupFmt, connector) }

func taskLabel(connector string, id int) string { return connector + "-" + strconv.Itoa(id) }
