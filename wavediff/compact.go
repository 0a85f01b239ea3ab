package wavediff

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"genfwi/internal/atomicfile"
	"genfwi/nn"
	"genfwi/tensor"
)

// Committed weights are stored as float16 safetensors to fit the 25 MB
// budget: CompactCheckpoint rounds a float32 checkpoint to float16 (dtype
// "F16", metadata kept, plus "f32_sha256" naming the source so that a
// diffusion model still recognises its autoencoder), and every loader of this
// package expands such a file to float32 first (materialize). The rounding
// changes each weight by at most 2⁻¹¹ relative.

type stEntry struct {
	DType       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
}

// readHeader returns the safetensors header entries and metadata of path and
// the byte offset where the data start.
func readHeader(f *os.File, path string) (map[string]stEntry, map[string]string, int64, error) {
	var n uint64
	if err := binary.Read(f, binary.LittleEndian, &n); err != nil || n > 1<<26 {
		return nil, nil, 0, fmt.Errorf("reading %s: not a safetensors file", path)
	}
	hb := make([]byte, n)
	if _, err := io.ReadFull(f, hb); err != nil {
		return nil, nil, 0, fmt.Errorf("reading %s: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hb, &raw); err != nil {
		return nil, nil, 0, fmt.Errorf("reading %s: header: %w", path, err)
	}
	ents := map[string]stEntry{}
	meta := map[string]string{}
	for k, v := range raw {
		if k == "__metadata__" {
			if err := json.Unmarshal(v, &meta); err != nil {
				return nil, nil, 0, fmt.Errorf("reading %s: metadata: %w", path, err)
			}
			continue
		}
		var e stEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, nil, 0, fmt.Errorf("reading %s: tensor %q: %w", path, k, err)
		}
		ents[k] = e
	}
	return ents, meta, int64(8 + n), nil
}

// CompactCheckpoint writes the float32 checkpoint src as a float16 one at
// dst (atomically), keeping names, order, shapes and metadata.
func CompactCheckpoint(src, dst string) error {
	ts, meta, err := nn.ReadSafetensors(src)
	if err != nil {
		return err
	}
	sum, err := fileSHA256(src)
	if err != nil {
		return err
	}
	if meta == nil {
		meta = map[string]string{}
	}
	meta["f32_sha256"] = sum
	meta["stored_dtype"] = "F16 (rounded from F32 by genfwi train export)"
	header := map[string]any{"__metadata__": meta}
	off := 0
	for _, t := range ts {
		n := 2 * len(t.T.Data)
		header[t.Name] = stEntry{DType: "F16", Shape: t.T.Shape, DataOffsets: [2]int{off, off + n}}
		off += n
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(hb)%8 != 0 {
		hb = append(hb, ' ')
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(dst, func(w io.Writer) error {
		binary.Write(w, binary.LittleEndian, uint64(len(hb)))
		w.Write(hb)
		for _, t := range ts {
			h := make([]uint16, len(t.T.Data))
			encodeHalf(h, t.T.Data)
			writeU16(w, h)
		}
		return nil // a write error shows at the flush
	})
}

// checkpointInfo reports whether path stores F16 tensors and its metadata.
func checkpointInfo(path string) (f16 bool, meta map[string]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, nil, err
	}
	defer f.Close()
	ents, meta, _, err := readHeader(f, path)
	if err != nil {
		return false, nil, err
	}
	for _, e := range ents {
		if e.DType == "F16" {
			return true, meta, nil
		}
	}
	return false, meta, nil
}

// materialize returns a float32 checkpoint for path: path itself, or for a
// float16 file a temporary float32 copy (remove it with the returned func).
func materialize(path string) (string, func(), error) {
	f16, _, err := checkpointInfo(path)
	if err != nil {
		return "", nil, err
	}
	if !f16 {
		return path, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	ents, meta, base, err := readHeader(f, path)
	if err != nil {
		return "", nil, err
	}
	names := make([]string, 0, len(ents))
	for k := range ents {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return ents[names[i]].DataOffsets[0] < ents[names[j]].DataOffsets[0] })
	var ts []nn.Named
	for _, name := range names {
		e := ents[name]
		if e.DType != "F16" {
			return "", nil, fmt.Errorf("reading %s: tensor %q has dtype %q in a float16 checkpoint", path, name, e.DType)
		}
		n := tensor.Numel(e.Shape)
		if e.DataOffsets[1]-e.DataOffsets[0] != 2*n {
			return "", nil, fmt.Errorf("reading %s: tensor %q: %d bytes for shape %v", path, name, e.DataOffsets[1]-e.DataOffsets[0], e.Shape)
		}
		b := make([]byte, 2*n)
		if _, err := f.ReadAt(b, base+int64(e.DataOffsets[0])); err != nil {
			return "", nil, fmt.Errorf("reading %s: tensor %q: %w", path, name, err)
		}
		t := tensor.New(e.Shape...)
		for i := range t.Data {
			t.Data[i] = halfTable[binary.LittleEndian.Uint16(b[2*i:])]
			if math.IsNaN(float64(t.Data[i])) {
				return "", nil, fmt.Errorf("reading %s: tensor %q holds NaN", path, name)
			}
		}
		ts = append(ts, nn.Named{Name: name, T: t})
	}
	tmp, err := os.CreateTemp("", "genfwi-f32-*.safetensors")
	if err != nil {
		return "", nil, err
	}
	tmp.Close()
	if err := nn.WriteSafetensors(tmp.Name(), ts, meta); err != nil {
		os.Remove(tmp.Name())
		return "", nil, err
	}
	return tmp.Name(), func() { os.Remove(tmp.Name()) }, nil
}

// checkpointSums returns the SHA-256 prefixes a checkpoint answers to: its
// own and, for a float16 copy, that of its float32 source.
func checkpointSums(path string) []string {
	var s []string
	if sum, err := fileSHA256(path); err == nil {
		s = append(s, sum)
	}
	if _, meta, err := checkpointInfo(path); err == nil && meta["f32_sha256"] != "" {
		s = append(s, meta["f32_sha256"])
	}
	return s
}
