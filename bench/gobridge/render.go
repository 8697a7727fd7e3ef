package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hamba/avro/v2"
)

// resource is one PERSCOM table: its event prefix, its label prefix, whether it carries
// custom fields in a JSON column named "data", and its hidden columns.
type resource struct {
	name   string
	label  string
	custom bool
	hidden map[string]bool
}

var resources = map[string]resource{
	"records_assignments":    {"assignmentrecord", "Assignment Record", true, nil},
	"records_awards":         {"awardrecord", "Award Record", true, nil},
	"calendars":              {"calendar", "Calendar", false, nil},
	"records_combat":         {"combatrecord", "Combat Record", true, nil},
	"events":                 {"event", "Event", false, nil},
	"records_qualifications": {"qualificationrecord", "Qualification Record", true, nil},
	"records_ranks":          {"rankrecord", "Rank Record", true, nil},
	"records_service":        {"servicerecord", "Service Record", true, nil},
	"submissions":            {"submission", "Submission", true, nil},
	"users": {"user", "User", true, map[string]bool{
		"password": true, "remember_token": true, "discord_private_channel_id": true}},
}

var actions = map[string]string{"c": "created", "u": "updated", "d": "deleted"}

// requestIDNamespace is the bridge's namespace for request ids derived from the record's
// Kafka coordinates (a UUIDv5 of "topic/partition/offset").
var requestIDNamespace = []byte{0x6f, 0x1c, 0x3a, 0x52, 0x8d, 0x0e, 0x4b, 0x7a,
	0x9c, 0x25, 0x3e, 0x41, 0xd7, 0xf0, 0xb9, 0xa8}

// renderer turns one Avro change event into a webhook body.
type renderer struct {
	schema  avro.Schema
	columns []string // the row record's fields, in schema order
}

func newRenderer(path string) (*renderer, error) {
	schema, err := avro.ParseFiles(path)
	if err != nil {
		return nil, err
	}
	env, ok := schema.(*avro.RecordSchema)
	if !ok {
		return nil, fmt.Errorf("%s: not a record schema", path)
	}
	r := &renderer{schema: schema}
	for _, f := range env.Fields() {
		if f.Name() != "after" {
			continue
		}
		u, ok := f.Type().(*avro.UnionSchema)
		if !ok {
			return nil, fmt.Errorf("%s: after is not a union", path)
		}
		for _, t := range u.Types() {
			if ref, ok := t.(*avro.RefSchema); ok {
				t = ref.Schema() // the row record, defined in before
			}
			if rec, ok := t.(*avro.RecordSchema); ok {
				for _, c := range rec.Fields() {
					r.columns = append(r.columns, c.Name())
				}
			}
		}
	}
	if r.columns == nil {
		return nil, fmt.Errorf("%s: no row record in after", path)
	}
	return r, nil
}

// unwrap returns the record inside a ["null", record] union as decoded: nil or a one-entry
// map from the record's full name to its fields.
func unwrap(v any) map[string]any {
	m, _ := v.(map[string]any)
	for _, inner := range m {
		row, _ := inner.(map[string]any)
		return row
	}
	return nil
}

// render decodes value and returns the event name and the body; an empty name means the
// message is not an event (a snapshot read, a tombstone).
func (r *renderer) render(value []byte, topic string, partition int32, offset int64) (string, []byte, error) {
	if len(value) == 0 {
		return "", nil, nil
	}
	var env map[string]any
	if err := avro.Unmarshal(r.schema, value, &env); err != nil {
		return "", nil, err
	}
	op, _ := env["op"].(string)
	action, ok := actions[op]
	if !ok {
		return "", nil, nil
	}
	source, _ := env["source"].(map[string]any)
	table, _ := source["table"].(string)
	res, ok := resources[table]
	if !ok {
		return "", nil, fmt.Errorf("unknown table %q", table)
	}
	before, after := unwrap(env["before"]), unwrap(env["after"])
	row := after
	if action == "deleted" {
		row = before
	}
	if row == nil {
		return "", nil, fmt.Errorf("op %s without its row image", op)
	}
	var created int64
	if us, ok := source["ts_us"].(int64); ok {
		created = us
	} else if ms, ok := source["ts_ms"].(int64); ok {
		created = ms * 1000
	}
	event := res.name + "." + action

	var b bytes.Buffer
	b.WriteString(`{"event":`)
	writeJSON(&b, event)
	b.WriteString(`,"created":`)
	writeJSON(&b, isoTime(time.UnixMicro(created)))
	b.WriteString(`,"request_id":`)
	writeJSON(&b, requestID(topic, partition, offset))
	b.WriteString(`,"trace_id":null,"data":{`)
	if err := r.writeData(&b, res, row); err != nil {
		return "", nil, err
	}
	b.WriteString(`},"changes":`)
	if action == "updated" {
		r.writeChanges(&b, res, before, after)
	} else {
		b.WriteString("[]")
	}
	b.WriteByte('}')
	return event, b.Bytes(), nil
}

func (r *renderer) writeData(b *bytes.Buffer, res resource, row map[string]any) error {
	first := true
	key := func(k string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSON(b, k)
		b.WriteByte(':')
	}
	var custom []byte
	for _, c := range r.columns {
		if res.hidden[c] {
			continue
		}
		if res.custom && c == "data" {
			if s, ok := row[c].(string); ok {
				custom = []byte(s)
			}
			continue
		}
		key(c)
		writeJSON(b, dataValue(row[c]))
	}
	if custom != nil {
		// custom fields, in their own order; a column of the row and "label" win
		dec := json.NewDecoder(bytes.NewReader(custom))
		dec.UseNumber()
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return fmt.Errorf("custom-field column is not a JSON object")
		}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return err
			}
			name, _ := t.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return err
			}
			if _, isColumn := row[name]; isColumn || name == "label" || res.hidden[name] {
				continue
			}
			key(name)
			b.Write(v)
		}
	}
	key("label")
	label := res.label + ": "
	switch id := row["id"].(type) {
	case int64:
		label += strconv.FormatInt(id, 10)
	case int:
		label += strconv.Itoa(id)
	case string:
		label += id
	}
	writeJSON(b, label)
	return nil
}

// writeChanges writes the changed columns with their raw database values, or [] if none.
func (r *renderer) writeChanges(b *bytes.Buffer, res resource, before, after map[string]any) {
	n := 0
	for _, c := range r.columns {
		if res.hidden[c] {
			continue
		}
		v := after[c]
		if before != nil && fmt.Sprint(before[c]) == fmt.Sprint(v) {
			continue
		}
		if n == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		n++
		writeJSON(b, c)
		b.WriteByte(':')
		if t, ok := v.(time.Time); ok {
			writeJSON(b, t.UTC().Format("2006-01-02 15:04:05"))
		} else {
			writeJSON(b, v)
		}
	}
	if n == 0 {
		b.WriteString("[]")
	} else {
		b.WriteByte('}')
	}
}

// dataValue is a column's value as data shows it: datetimes in ISO-8601 with microseconds.
func dataValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return isoTime(t)
	}
	return v
}

func isoTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

func writeJSON(b *bytes.Buffer, v any) {
	out, err := json.Marshal(v)
	if err != nil {
		b.WriteString("null")
		return
	}
	b.Write(out)
}

// requestID is a UUIDv5 of "topic/partition/offset" in the bridge's namespace.
func requestID(topic string, partition int32, offset int64) string {
	h := sha1.New()
	h.Write(requestIDNamespace)
	fmt.Fprintf(h, "%s/%d/%d", topic, partition, offset)
	d := h.Sum(nil)
	d[6] = d[6]&0x0f | 0x50
	d[8] = d[8]&0x3f | 0x80
	s := hex.EncodeToString(d[:16])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}
