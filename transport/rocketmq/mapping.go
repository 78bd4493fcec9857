package rocketmq

import (
	"encoding/base64"
	"fmt"
	"maps"
	"strings"
	"unicode/utf8"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	connect "github.com/openmessaging/connect-go"
)

// How a connect.Message travels as a RocketMQ message (see "Keys and
// headers" in the package doc):
//
//   - Value is the body, unchanged; an empty Value is one zero byte and the
//     property emptyBodyProperty.
//   - Key: when it is valid UTF-8 without control characters it is the KEYS
//     property (RocketMQ's own key, indexed by the broker, so
//     `mqadmin queryMsgByKey` finds the message); otherwise it is standard
//     base64 in the keyBase64Property and KEYS is not set.
//   - Headers travel together in one property, headersProperty:
//     NAME=VALUE pairs joined by '&', names and values escaped (packEscape:
//     '=' and '&' too). One property, not one per header, because every
//     property costs the client an allocation or three per message on
//     either side (encoding to and decoding from its wire string, a map
//     entry), and a received message's headers can then be read without
//     copying its whole property map.
//   - Messages written before headersProperty (and by other producers):
//     header NAME=VALUE is the user property "h:"+escape(NAME) =
//     escapeValue(VALUE), and every other property that is not one of
//     RocketMQ's own is a header as it is. Received messages without
//     headersProperty are read that way.
//
// The escaping is percent-encoding of '%', the ASCII control characters
// (\x01 and \x02 separate properties on the wire) and bytes that are not
// valid UTF-8 (the broker decodes properties as UTF-8 and would replace
// them). The broker drops properties with empty values, so an empty value
// travels as a lone "%", which escaping never produces otherwise.
const (
	headersProperty   = "CONNECT_HEADERS"
	headerPrefix      = "h:"
	keyBase64Property = "CONNECT_KEY_BASE64"
	// emptyBodyProperty marks a message whose Value is empty. The broker
	// cannot store an empty body (it fails with a NullPointerException), so
	// such a message carries one zero byte and this property instead.
	emptyBodyProperty = "CONNECT_EMPTY_BODY"
	emptyValue        = "%"
	// maxPropertiesBytes is what the wire format allows: the broker keeps the
	// properties' length in a signed 16-bit field.
	maxPropertiesBytes = 32767
)

// systemProperties are RocketMQ's own property names (MessageConst in the
// Java sources, 5.x). Properties with these names are never surfaced as
// headers of received messages; every other property is, so that messages
// of RocketMQ-native producers keep their user properties.
var systemProperties = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`KEYS TAGS WAIT DELAY RETRY_TOPIC REAL_TOPIC REAL_QID TRAN_MSG PGROUP
		MIN_OFFSET MAX_OFFSET BUYER_ID ORIGIN_MESSAGE_ID TRANSFER_FLAG CORRECTION_FLAG MQ2_FLAG
		RECONSUME_TIME MSG_REGION TRACE_ON UNIQ_KEY EXTEND_UNIQ_INFO MAX_RECONSUME_TIMES
		CONSUME_START_TIME POP_CK POP_CK_OFFSET 1ST_POP_TIME TRAN_PREPARED_QUEUE_OFFSET
		TRANSACTION_CHECK_TIMES CHECK_IMMUNITY_TIME_IN_SECONDS INSTANCE_ID CORRELATION_ID
		REPLY_TO_CLIENT TTL ARRIVE_TIME PUSH_REPLY_TIME CLUSTER MSG_TYPE INNER_MULTI_DISPATCH
		INNER_MULTI_QUEUE_OFFSET TRACE_CONTEXT SHARDING_KEY __SHARDINGKEY __STARTDELIVERTIME
		__transactionId__ TIMER_DELAY_SEC TIMER_DELIVER_MS BORNHOST TIMER_OUT_MS TIMER_ENQUEUE_MS
		TIMER_DEQUEUE_MS TIMER_ROLL_TIMES TIMER_DEL_UNIQKEY TIMER_DELAY_LEVEL INNER_NUM
		DLQ_ORIGIN_TOPIC DLQ_ORIGIN_MESSAGE_ID CRC32 bname __BORNHOST`) {
		systemProperties[p] = true
	}
	systemProperties[keyBase64Property] = true
	systemProperties[headersProperty] = true
	systemProperties[emptyBodyProperty] = true
}

// isSystemProperty is systemProperties[name], faster for the properties
// every received message has.
func isSystemProperty(name string) bool {
	switch name {
	case primitive.PropertyUniqueClientMessageIdKeyIndex, primitive.PropertyCluster, primitive.PropertyMsgRegion,
		primitive.PropertyTraceSwitch, primitive.PropertyMinOffset, primitive.PropertyMaxOffset, primitive.PropertyKeys,
		primitive.PropertyTags, primitive.PropertyWaitStoreMsgOk, primitive.PropertyConsumeStartTime:
		return true
	}
	return systemProperties[name]
}

// body returns what travels as the message body for value.
func body(value []byte, props *map[string]string) []byte {
	if len(value) > 0 {
		return value
	}
	if *props == nil {
		*props = map[string]string{}
	}
	(*props)[emptyBodyProperty] = "1"
	return emptyBody
}

var emptyBody = []byte{0}

// messageValue returns the Value of a received message with body and
// props.
func messageValue(body []byte, props map[string]string) []byte {
	if props[emptyBodyProperty] != "" {
		return nil
	}
	return body
}

// needsEscape reports whether s must be escaped to travel as a property.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '%' {
			return true
		}
	}
	return !utf8.ValidString(s)
}

// escape percent-encodes '%', control characters and invalid UTF-8 bytes.
func escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	escapeTo(&b, s, false)
	return b.String()
}

// needsPackEscape reports whether s must be escaped to travel in
// headersProperty.
func needsPackEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '%' || c == '=' || c == '&' {
			return true
		}
	}
	return !utf8.ValidString(s)
}

// packEscapeTo writes s to b escaped for headersProperty: like escape, and
// '=' and '&' too.
func packEscapeTo(b *strings.Builder, s string) {
	if !needsPackEscape(s) {
		b.WriteString(s)
		return
	}
	escapeTo(b, s, true)
}

// escapeTo writes s to b percent-encoded as escape does, and '=' and '&'
// as well when pack is set.
func escapeTo(b *strings.Builder, s string, pack bool) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || c == '%' || pack && (c == '=' || c == '&') {
				b.WriteByte('%')
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
}

// unescape reverses escape. It is lenient: a '%' not followed by two hex
// digits is kept as it is, so properties written by other producers decode
// to themselves.
func unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

func escapeValue(v string) string {
	if v == "" {
		return emptyValue
	}
	return escape(v)
}

func unescapeValue(v string) string {
	if v == emptyValue {
		return ""
	}
	return unescape(v)
}

// plainKey reports whether key can travel as the KEYS property unchanged.
func plainKey(key []byte) bool {
	for _, c := range key {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(key)
}

// properties returns the RocketMQ properties carrying m's key and headers,
// and their size on the wire; perHeader writes a property per header, as
// the transport did before headersProperty.
func properties(m *connect.Message, perHeader bool, cache *headerCache) (map[string]string, int, error) {
	if len(m.Key) == 0 && len(m.Headers) == 0 {
		return nil, 0, nil
	}
	// Room for the properties the client adds (UNIQ_KEY) and the broker.
	props := make(map[string]string, 4)
	size := 0
	add := func(k, v string) {
		props[k] = v
		size += len(k) + len(v) + 2
	}
	if len(m.Key) > 0 {
		if plainKey(m.Key) {
			add(primitive.PropertyKeys, string(m.Key))
		} else {
			add(keyBase64Property, base64.StdEncoding.EncodeToString(m.Key))
		}
	}
	switch {
	case len(m.Headers) == 0:
	case perHeader:
		for k, v := range m.Headers {
			add(headerPrefix+escape(k), escapeValue(v))
		}
	default:
		add(headersProperty, cache.pack(m.Headers))
	}
	if size > maxPropertiesBytes-64 { // room for the client's and broker's own properties
		return nil, 0, fmt.Errorf("key and headers take %d bytes encoded, RocketMQ allows about %d", size, maxPropertiesBytes-64)
	}
	return props, size, nil
}

// packHeaders returns the value of headersProperty for h (not empty): its
// pairs NAME=VALUE joined by '&', escaped.
func packHeaders(h connect.Headers) string {
	n := 0
	for k, v := range h {
		n += len(k) + len(v) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for k, v := range h {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		packEscapeTo(&b, k)
		b.WriteByte('=')
		packEscapeTo(&b, v)
	}
	return b.String() // not empty: every pair has its '='

}

// headerCache remembers the headers of the latest message of a batch and
// their packed form: the messages of a batch mostly carry the same headers
// (a converter's format headers), so most are packed, or unpacked, once
// per batch. A nil *headerCache remembers nothing.
type headerCache struct {
	h      connect.Headers
	packed string
}

// pack returns packHeaders(h).
func (c *headerCache) pack(h connect.Headers) string {
	if c == nil {
		return packHeaders(h)
	}
	if c.h == nil || !maps.Equal(c.h, h) {
		c.h, c.packed = h, packHeaders(h)
	}
	return c.packed
}

// unpack returns unpackHeaders(packed), the map it returned last time
// when packed is the same: received messages with the same headers share
// their Headers map.
func (c *headerCache) unpack(packed string) connect.Headers {
	if c == nil {
		return unpackHeaders(packed)
	}
	if c.h == nil || c.packed != packed {
		c.h, c.packed = unpackHeaders(packed), packed
	}
	return c.h
}

// unpackHeaders reverses packHeaders. Names and values without escapes
// share packed's memory.
func unpackHeaders(packed string) connect.Headers {
	h := make(connect.Headers, strings.Count(packed, "&")+1)
	for packed != "" {
		var pair string
		pair, packed, _ = strings.Cut(packed, "&")
		k, v, _ := strings.Cut(pair, "=")
		h[unescape(k)] = unescape(v)
	}
	return h
}

// decode returns the key, value and headers of a received message. It
// reads the message's properties in place, under the message's lock once
// (see lockProperties), and makes a map only for headers.
func decode(ext *primitive.MessageExt, cache *headerCache) (key, value []byte, headers connect.Headers) {
	props, mu := lockProperties(&ext.Message)
	if mu == nil {
		return decodeCopy(ext, cache)
	}
	packed := props[headersProperty]
	if packed == "" {
		value = messageValue(ext.Body, props)
		key, headers = keyAndHeadersOf(props)
		n := len(props)
		mu.RUnlock()
		if n == smallMapEntries {
			trimProperties(ext)
		}
		return key, value, headers
	}
	b64, plain, empty := props[keyBase64Property], props[primitive.PropertyKeys], props[emptyBodyProperty] != ""
	_, trace := props[primitive.PropertyTraceSwitch]
	mu.RUnlock()
	if trace {
		// See decodeCopy.
		ext.RemoveProperty(primitive.PropertyTraceSwitch)
	}
	value = ext.Body
	if empty {
		value = nil
	}
	return packedKey(b64, plain), value, cache.unpack(packed)
}

// packedKey returns the key of a message written with headersProperty,
// from its keyBase64Property and KEYS.
func packedKey(b64, plain string) []byte {
	if b64 != "" {
		if k, err := base64.StdEncoding.DecodeString(b64); err == nil {
			return k
		}
		return nil
	}
	if plain != "" {
		return []byte(plain)
	}
	return nil
}

// decodeCopy is decode through the client's accessors, for a client whose
// properties cannot be read in place. The properties map is copied only
// for a message without headersProperty (one written before it, by another
// producer, or without headers).
func decodeCopy(ext *primitive.MessageExt, cache *headerCache) (key, value []byte, headers connect.Headers) {
	packed := ext.GetProperty(headersProperty)
	if packed == "" {
		props := ext.GetProperties()
		if len(props) == smallMapEntries {
			trimProperties(ext)
		}
		value = messageValue(ext.Body, props)
		key, headers = keyAndHeadersOf(props)
		return key, value, headers
	}
	// Written by this transport: no other property is a header. With a
	// key it has smallMapEntries properties once pulled (the broker's
	// CLUSTER, MSG_REGION and TRACE_ON, the client's UNIQ_KEY, MIN_OFFSET
	// and MAX_OFFSET); one less leaves room for the one ACK adds.
	ext.RemoveProperty(primitive.PropertyTraceSwitch)
	key = packedKey(ext.GetProperty(keyBase64Property), ext.GetProperty(primitive.PropertyKeys))
	value = ext.Body
	if ext.GetProperty(emptyBodyProperty) != "" {
		value = nil
	}
	return key, value, cache.unpack(packed)
}

// smallMapEntries is how many entries a Go map holds before it outgrows
// its first table.
const smallMapEntries = 8

// trimProperties removes from a received message properties the broker
// adds that nothing reads once the message is decoded. The client's ACK
// adds one property to every message (CONSUME_START_TIME): on a message of
// smallMapEntries properties (one with a key and headersProperty, say)
// that makes the client's map grow, an allocation and a copy per message.
func trimProperties(ext *primitive.MessageExt) {
	for _, p := range [...]string{primitive.PropertyCluster, primitive.PropertyMsgRegion, primitive.PropertyTraceSwitch} {
		ext.RemoveProperty(p)
	}
}

// keyOf returns the record key a message's properties carry (see
// packedKey).
func keyOf(props map[string]string) []byte {
	return packedKey(props[keyBase64Property], props[primitive.PropertyKeys])
}

// keyAndHeadersOf decodes the key and headers of a received message's
// properties: the inverse of properties for messages of this transport
// written before headersProperty, and KEYS plus every non-system property
// as they are for others. props is not changed, and a map is made only for
// a message that has headers (most messages of other producers have none,
// nor do this transport's messages without headers).
func keyAndHeadersOf(props map[string]string) ([]byte, connect.Headers) {
	key := keyOf(props)
	foreign, prefixed := false, false
	for k := range props {
		if strings.HasPrefix(k, headerPrefix) {
			prefixed = true
		} else if !isSystemProperty(k) {
			foreign = true
		}
	}
	if !foreign && !prefixed {
		return key, nil
	}
	h := make(connect.Headers, len(props))
	if foreign {
		for k, v := range props {
			if !strings.HasPrefix(k, headerPrefix) && !isSystemProperty(k) {
				h[k] = v
			}
		}
	}
	// After the others: a header written as "h:x" wins over a property
	// named x.
	if prefixed {
		for k, v := range props {
			if name, ok := strings.CutPrefix(k, headerPrefix); ok {
				h[unescape(name)] = unescapeValue(v)
			}
		}
	}
	return key, h
}
