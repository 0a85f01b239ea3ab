package nn

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"genfwi/internal/atomicfile"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"genfwi/tensor"
)

// maxHeader bounds the JSON header we accept (the reference implementation
// uses 100 MB); a larger value means a corrupt or foreign file.
const maxHeader = 100 << 20

type stEntry struct {
	DType       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
}

// WriteSafetensors writes ts and meta to path in the safetensors format,
// atomically: the bytes go to a temporary file in the same directory that is
// synced and renamed over path. Tensors are stored in the given order, F32
// little-endian.
func WriteSafetensors(path string, ts []Named, meta map[string]string) error {
	header := map[string]any{}
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	off := 0
	for _, t := range ts {
		if t.Name == "__metadata__" || t.Name == "" {
			return fmt.Errorf("writing %s: invalid tensor name %q", path, t.Name)
		}
		if _, dup := header[t.Name]; dup {
			return fmt.Errorf("writing %s: duplicate tensor name %q", path, t.Name)
		}
		n := 4 * len(t.T.Data)
		shape := t.T.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = stEntry{DType: "F32", Shape: shape, DataOffsets: [2]int{off, off + n}}
		off += n
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("writing %s: encoding header: %w", path, err)
	}
	// Pad the header with spaces to a multiple of 8 bytes (as the reference
	// writer does) so the data is aligned.
	for (8+len(hb))%8 != 0 {
		hb = append(hb, ' ')
	}
	buf := make([]byte, 8+len(hb)+off)
	binary.LittleEndian.PutUint64(buf, uint64(len(hb)))
	copy(buf[8:], hb)
	p := 8 + len(hb)
	for _, t := range ts {
		for _, v := range t.T.Data {
			binary.LittleEndian.PutUint32(buf[p:], math.Float32bits(v))
			p += 4
		}
	}
	return writeAtomic(path, buf)
}

func writeAtomic(path string, data []byte) error { return atomicfile.WriteFile(path, data) }

// ReadSafetensors reads a safetensors file with F32 tensors. It returns the
// tensors in file order and the metadata. Truncated files, malformed
// headers, other dtypes, overlapping or out-of-range offsets and shapes that
// do not match their byte ranges are errors naming the file.
func ReadSafetensors(path string) ([]Named, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var lenb [8]byte
	if _, err := io.ReadFull(f, lenb[:]); err != nil {
		return nil, nil, fmt.Errorf("reading %s: file too short for a safetensors header", path)
	}
	hl := binary.LittleEndian.Uint64(lenb[:])
	if hl > maxHeader || int64(hl) > st.Size()-8 {
		return nil, nil, fmt.Errorf("reading %s: header length %d does not fit a %d-byte file (corrupt or not safetensors)", path, hl, st.Size())
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(f, hb); err != nil {
		return nil, nil, fmt.Errorf("reading %s: header: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hb, &raw); err != nil {
		return nil, nil, fmt.Errorf("reading %s: header is not valid JSON: %w", path, err)
	}
	var meta map[string]string
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, fmt.Errorf("reading %s: __metadata__ must map strings to strings: %w", path, err)
		}
		delete(raw, "__metadata__")
	}
	dataLen := st.Size() - 8 - int64(hl)
	type item struct {
		name string
		e    stEntry
	}
	items := make([]item, 0, len(raw))
	for name, r := range raw {
		var e stEntry
		if err := json.Unmarshal(r, &e); err != nil {
			return nil, nil, fmt.Errorf("reading %s: tensor %q: %w", path, name, err)
		}
		if e.DType != "F32" {
			return nil, nil, fmt.Errorf("reading %s: tensor %q has dtype %q, only F32 is supported", path, name, e.DType)
		}
		for _, s := range e.Shape {
			if s < 0 {
				return nil, nil, fmt.Errorf("reading %s: tensor %q has negative extent in shape %v", path, name, e.Shape)
			}
		}
		b, en := e.DataOffsets[0], e.DataOffsets[1]
		if b < 0 || en < b || int64(en) > dataLen {
			return nil, nil, fmt.Errorf("reading %s: tensor %q has data offsets %v outside the %d data bytes (truncated?)", path, name, e.DataOffsets, dataLen)
		}
		if en-b != 4*tensor.Numel(e.Shape) {
			return nil, nil, fmt.Errorf("reading %s: tensor %q: shape %v needs %d bytes, offsets give %d", path, name, e.Shape, 4*tensor.Numel(e.Shape), en-b)
		}
		items = append(items, item{name, e})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].e.DataOffsets[0] < items[j].e.DataOffsets[0] })
	pos := 0
	for _, it := range items {
		if it.e.DataOffsets[0] != pos {
			return nil, nil, fmt.Errorf("reading %s: tensor %q starts at byte %d, expected %d (gap or overlap)", path, it.name, it.e.DataOffsets[0], pos)
		}
		pos = it.e.DataOffsets[1]
	}
	if int64(pos) != dataLen {
		return nil, nil, fmt.Errorf("reading %s: %d data bytes, tensors cover %d", path, dataLen, pos)
	}
	data := make([]byte, dataLen)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, fmt.Errorf("reading %s: data: %w", path, err)
	}
	out := make([]Named, len(items))
	for i, it := range items {
		t := tensor.New(it.e.Shape...)
		b := data[it.e.DataOffsets[0]:it.e.DataOffsets[1]]
		for j := range t.Data {
			t.Data[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
		}
		out[i] = Named{it.name, t}
	}
	return out, meta, nil
}

// ErrMismatch reports a checkpoint whose tensors do not match the model.
var ErrMismatch = errors.New("checkpoint does not match the model")

// SaveModel writes the arena's parameters and the buffers to path as
// safetensors. config (any JSON-encodable value, may be nil) is stored as a
// JSON string under the metadata key "config"; extra metadata may be added.
func SaveModel(path string, a *Arena, bufs []*Buffer, config any, extra map[string]string) error {
	meta := map[string]string{"format": "genfwi"}
	for k, v := range extra {
		meta[k] = v
	}
	if config != nil {
		b, err := json.Marshal(config)
		if err != nil {
			return fmt.Errorf("writing %s: encoding config: %w", path, err)
		}
		meta["config"] = string(b)
	}
	ts := make([]Named, 0, len(a.Params)+len(bufs))
	for _, p := range a.Params {
		ts = append(ts, Named{p.Name, p.V.Value})
	}
	for _, b := range bufs {
		ts = append(ts, Named{b.Name, b.T})
	}
	return WriteSafetensors(path, ts, meta)
}

// LoadModel reads a checkpoint written by SaveModel into the arena and the
// buffers and returns its metadata (the config JSON is meta["config"]).
// Every parameter and buffer must be present with the same shape and the
// file must hold nothing else; otherwise it returns an error wrapping
// ErrMismatch that lists the differences. Nothing is modified on error.
func LoadModel(path string, a *Arena, bufs []*Buffer) (map[string]string, error) {
	ts, meta, err := ReadSafetensors(path)
	if err != nil {
		return nil, err
	}
	byName := map[string]*tensor.Tensor{}
	for _, t := range ts {
		byName[t.Name] = t.T
	}
	type dst struct {
		name string
		t    *tensor.Tensor
	}
	var want []dst
	for _, p := range a.Params {
		want = append(want, dst{p.Name, p.V.Value})
	}
	for _, b := range bufs {
		want = append(want, dst{b.Name, b.T})
	}
	var problems []string
	used := map[string]bool{}
	for _, w := range want {
		t, ok := byName[w.name]
		if !ok {
			problems = append(problems, fmt.Sprintf("missing %q", w.name))
			continue
		}
		used[w.name] = true
		if !tensor.SameShape(t.Shape, w.t.Shape) {
			problems = append(problems, fmt.Sprintf("%q has shape %v, model wants %v", w.name, t.Shape, w.t.Shape))
		}
	}
	for _, t := range ts {
		if !used[t.Name] {
			problems = append(problems, fmt.Sprintf("unexpected %q", t.Name))
		}
	}
	if len(problems) > 0 {
		if len(problems) > 8 {
			problems = append(problems[:8], fmt.Sprintf("and %d more", len(problems)-8))
		}
		return nil, fmt.Errorf("reading %s: %w: %s", path, ErrMismatch, strings.Join(problems, "; "))
	}
	for _, w := range want {
		copy(w.t.Data, byName[w.name].Data)
	}
	return meta, nil
}
