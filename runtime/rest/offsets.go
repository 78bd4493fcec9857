package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/runtime"
)

// Offsets on the wire. A connector implementing connect.KafkaOffsets (the
// built-in FileStreamSource) shows and takes Kafka Connect's shapes:
//
//	{"offsets": [{"partition": {"filename": "/data/in.txt"}, "offset": {"position": 4096}}]}
//
// Otherwise, since a connect.Position's partition is a string where Kafka
// Connect's is a JSON object, the API shows it as an object with one key,
// "partition":
//
//	{"offsets": [{"partition": {"partition": "file:/data/in.txt"}, "offset": {"pos": 4096}}]}
//
// and PATCH accepts that shape back (or the bare string as the partition).
// The offset is the source's JSON as stored. A null offset in PATCH deletes
// the partition's position, as in Kafka Connect.

// PartitionKey is the key of the partition object in the offsets API.
const PartitionKey = "partition"

type offsetsBody struct {
	Offsets []offsetEntry `json:"offsets"`
}

type offsetEntry struct {
	Partition any `json:"partition"`
	Offset    any `json:"offset"`
}

type offsetsRequest struct {
	Offsets *[]struct {
		Partition json.RawMessage `json:"partition"`
		Offset    json.RawMessage `json:"offset"`
	} `json:"offsets"`
}

// GET /connectors/{name}/offsets
func (h *restHandler) getOffsets(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ps, err := h.rt.Offsets(r.Context(), name)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	ko := h.kafkaOffsets(name)
	out := offsetsBody{Offsets: make([]offsetEntry, len(ps))}
	for i, p := range ps {
		if ko != nil {
			if part, off, ok := ko.ToKafka(p); ok {
				out.Offsets[i] = offsetEntry{Partition: part, Offset: off}
				continue
			}
		}
		out.Offsets[i] = offsetEntry{Partition: map[string]string{PartitionKey: p.Partition}, Offset: p.Offset}
	}
	writeJSON(w, http.StatusOK, out)
}

// PATCH /connectors/{name}/offsets: only while STOPPED (400 otherwise, as
// in Kafka Connect).
func (h *restHandler) alterOffsets(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := h.rt.ConnectorConfig(name); err != nil {
		h.fail(w, r, err, nil)
		return
	}
	b, err := h.readBody(w, r)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	put, del, err := parseOffsets(b, h.kafkaOffsets(name))
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	ctx, cancel := h.opCtx(r)
	defer cancel()
	// Deletions first, then puts: a partition both deleted and set in one
	// request ends up set. The two steps are not one atomic change.
	if err := h.rt.DeleteOffsets(ctx, name, del...); err != nil {
		h.fail(w, r, notStopped(err, name), nil)
		return
	}
	if len(put) > 0 {
		if err := h.rt.AlterOffsets(ctx, name, put); err != nil {
			h.fail(w, r, notStopped(err, name), nil)
			return
		}
	}
	writeJSON(w, http.StatusOK, messageBody{"The offsets for this connector have been altered successfully"})
}

// parseOffsets reads a PATCH body into positions to store and partitions
// to delete.
func parseOffsets(b []byte, ko connect.KafkaOffsets) (put []connect.Position, del []string, err error) {
	var req offsetsRequest
	if err := decodeStrict(b, &req); err != nil {
		return nil, nil, err
	}
	if req.Offsets == nil {
		return nil, nil, errorf(http.StatusBadRequest, `the body must have an "offsets" array`)
	}
	if len(*req.Offsets) == 0 {
		return nil, nil, errorf(http.StatusBadRequest, "the offsets array is empty")
	}
	seen := map[string]int{}
	for i, e := range *req.Offsets {
		part, err := parsePartition(e.Partition)
		var kafkaOff json.RawMessage
		if err != nil && ko != nil {
			// Not the generic shape: the connector's Kafka shape.
			if part, kafkaOff, err = fromKafka(ko, e.Partition, e.Offset); err != nil {
				return nil, nil, errorf(http.StatusBadRequest, "offsets[%d]: %v", i, err)
			}
		}
		if err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "offsets[%d]: %v", i, err)
		}
		if j, dup := seen[part]; dup {
			return nil, nil, errorf(http.StatusBadRequest, "offsets[%d]: partition %q already given at offsets[%d]", i, part, j)
		}
		seen[part] = i
		off := bytes.TrimSpace(e.Offset)
		if len(off) == 0 {
			return nil, nil, errorf(http.StatusBadRequest, `offsets[%d]: "offset" is required (null deletes the partition's offset)`, i)
		}
		if string(off) == "null" {
			del = append(del, part)
			continue
		}
		if kafkaOff != nil {
			off = kafkaOff
		}
		put = append(put, connect.Position{Partition: part, Offset: off})
	}
	return put, del, nil
}

// kafkaOffsets returns the Kafka shapes of the connector's plugin, or nil.
func (h *restHandler) kafkaOffsets(name string) connect.KafkaOffsets {
	cfg, err := h.rt.ConnectorConfig(name)
	if err != nil {
		return nil
	}
	conn, err := h.rt.Plugin(cfg[runtime.KeyConnectorClass])
	if err != nil {
		return nil
	}
	ko, _ := conn.(connect.KafkaOffsets)
	return ko
}

// fromKafka reads one entry in the connector's Kafka shape; a null offset
// gives a nil one.
func fromKafka(ko connect.KafkaOffsets, rawPart, rawOff json.RawMessage) (string, json.RawMessage, error) {
	var part, off map[string]any
	if err := decodeStrict(rawPart, &part); err != nil || part == nil {
		return "", nil, errors.New("the partition must be an object")
	}
	if t := bytes.TrimSpace(rawOff); len(t) > 0 && string(t) != "null" {
		if err := decodeStrict(rawOff, &off); err != nil || off == nil {
			return "", nil, errors.New("the offset must be an object or null")
		}
	}
	p, o, err := ko.FromKafka(part, off)
	if err != nil {
		return "", nil, err
	}
	if o == nil && off != nil {
		return "", nil, errors.New("the connector gave no offset")
	}
	return p, o, nil
}

func parsePartition(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return "", errorf(http.StatusBadRequest, "the partition is empty")
		}
		return s, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return "", errorf(http.StatusBadRequest, `the partition must be an object {"%s": "<partition>"}`, PartitionKey)
	}
	v, ok := obj[PartitionKey]
	if !ok || len(obj) != 1 {
		return "", errorf(http.StatusBadRequest, `the partition must be an object with the single key %q`, PartitionKey)
	}
	if err := json.Unmarshal(v, &s); err != nil || s == "" {
		return "", errorf(http.StatusBadRequest, `the partition's %q must be a non-empty string`, PartitionKey)
	}
	return s, nil
}

// notStopped turns the runtime's conflict of an offsets change on a
// connector that is not STOPPED into Kafka Connect's 400.
func notStopped(err error, name string) error {
	if errors.Is(err, connect.ErrConflict) {
		return errorf(http.StatusBadRequest, "Connectors must be in the STOPPED state before their offsets can be modified. "+
			"This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint", name)
	}
	return err
}

// DELETE /connectors/{name}/offsets: only while STOPPED (400 otherwise).
func (h *restHandler) resetOffsets(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.opCtx(r)
	defer cancel()
	if err := h.rt.ResetOffsets(ctx, r.PathValue("name")); err != nil {
		h.fail(w, r, notStopped(err, r.PathValue("name")), nil)
		return
	}
	writeJSON(w, http.StatusOK, messageBody{"The offsets for this connector have been reset successfully"})
}
