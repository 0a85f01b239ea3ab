package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// realModel is a FlatVel-A velocity file written by numpy (OpenFWI data).
const realModel = "../../shared/data/openfwi/FlatVel_A/model/model1.npy"

// goldenF8 is np.save(f, np.arange(3, dtype='<f8')) as written by numpy ≥ 1.22
// (the header layout is given in the NEP 1 format spec: dict, spaces, '\n',
// data aligned to 64 bytes).
var goldenF8 = func() []byte {
	dict := "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"
	b := []byte("\x93NUMPY\x01\x00\x76\x00")
	b = append(b, dict...)
	b = append(b, bytes.Repeat([]byte(" "), 128-10-len(dict)-1)...)
	b = append(b, '\n')
	for _, v := range []float64{0, 1, 2} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}()

// header builds raw header bytes for version major with the given dict text.
func header(major int, dict string) []byte {
	b := []byte(magic)
	b = append(b, byte(major), 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(dict)))
	}
	return append(b, dict...)
}

func TestRealOpenFWIFile(t *testing.T) {
	if _, err := os.Stat(realModel); err != nil {
		t.Skipf("real OpenFWI data not available: %v", err)
	}
	f, err := Open(realModel)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := f.Header()
	if h.Major != 1 || h.Minor != 0 || h.DType != Float32 || !reflect.DeepEqual(h.Shape, []int{500, 1, 70, 70}) || h.DataOffset != 128 {
		t.Fatalf("header = %+v, want v1.0 <f4 (500,1,70,70) at byte 128", h)
	}
	// Our encoder must reproduce numpy's header byte for byte.
	raw := make([]byte, 128)
	if _, err := f.f.ReadAt(raw, 0); err != nil {
		t.Fatal(err)
	}
	if got := encodeHeader(Float32, h.Shape); !bytes.Equal(got, raw) {
		t.Errorf("encoded header differs from numpy's:\n got %q\nwant %q", got, raw)
	}
	v := make([]float32, 2*h.SampleLen())
	if err := f.ReadSamplesFloat32(v, 498, 500); err != nil {
		t.Fatal(err)
	}
	for i, x := range v {
		if !(x >= 1500 && x <= 4500) {
			t.Fatalf("sample value %d = %g outside 1500..4500 m/s", i, x)
		}
	}
	// Flat layers: every row is constant in a FlatVel map.
	for z := range 70 {
		for x := range 70 {
			if v[z*70+x] != v[z*70] {
				t.Fatalf("sample 498 row %d not constant", z)
			}
		}
	}
	// float64 conversion reads the same values.
	w := make([]float64, len(v))
	if err := f.ReadSamplesFloat64(w, 498, 500); err != nil {
		t.Fatal(err)
	}
	for i := range v {
		if float64(v[i]) != w[i] {
			t.Fatalf("float64 read differs at %d: %g vs %g", i, w[i], v[i])
		}
	}
}

func TestGoldenFloat64(t *testing.T) {
	r, err := NewReader(bytes.NewReader(goldenF8), int64(len(goldenF8)), "golden")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float64, 3)
	if err := r.ReadFloat64(got, 0); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []float64{0, 1, 2}) {
		t.Errorf("got %v", got)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Float64, []int{3})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32([]float32{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), goldenF8) {
		t.Errorf("Writer output differs from numpy's:\n got %q\nwant %q", buf.Bytes(), goldenF8)
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name  string
		dt    DType
		shape []int
		major int
	}{
		{"scalar-f4", Float32, []int{}, 0},
		{"empty-f8", Float64, []int{0, 5}, 0},
		{"vec-f4", Float32, []int{7}, 0},
		{"cube-f8", Float64, []int{3, 4, 5}, 0},
		{"v2-f4", Float32, []int{4, 3}, 2},
		{"v3-f8", Float64, []int{2, 1, 3}, 3},
		{"big-f4", Float32, []int{3, 20000}, 0}, // several decode chunks per sample
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := Header{DType: tc.dt, Shape: tc.shape}
			n := int(h.Len())
			d64 := make([]float64, n)
			for i := range d64 {
				d64[i] = rng.NormFloat64() * 1e3
			}
			d32 := make([]float32, n)
			for i, v := range d64 {
				d32[i] = float32(v)
			}
			path := filepath.Join(dir, tc.name+".npy")
			fw, err := CreateVersion(path, tc.dt, tc.shape, tc.major)
			if err != nil {
				t.Fatal(err)
			}
			s := h.SampleLen()
			for i := h.Samples() - 1; i >= 0; i-- { // out of order on purpose
				if err := fw.WriteSampleFloat64(i, d64[i*s:(i+1)*s]); err != nil {
					t.Fatal(err)
				}
			}
			if err := fw.Commit(); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			gh := f.Header()
			wantMajor := max(tc.major, 1)
			if gh.Major != wantMajor || gh.DType != tc.dt || !reflect.DeepEqual(gh.Shape, tc.shape) || gh.DataOffset%64 != 0 {
				t.Fatalf("header %+v, want v%d %s %v aligned to 64", gh, wantMajor, tc.dt, tc.shape)
			}
			g32, shape, err := ReadFileFloat32(path)
			if err != nil {
				t.Fatal(err)
			}
			g64, _, err := ReadFileFloat64(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(shape, tc.shape) {
				t.Errorf("shape %v, want %v", shape, tc.shape)
			}
			for i := range n {
				if g32[i] != d32[i] {
					t.Fatalf("float32 element %d = %g, want %g", i, g32[i], d32[i])
				}
				want := d64[i]
				if tc.dt == Float32 {
					want = float64(d32[i])
				}
				if g64[i] != want {
					t.Fatalf("float64 element %d = %g, want %g", i, g64[i], want)
				}
			}
		})
	}
}

func TestWriteFileAtomicAndTempCleanup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.npy")
	if err := WriteFileFloat32(path, Float32, []int{2, 2}, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	// An incomplete FileWriter must neither replace the file nor leave a temp.
	fw, err := Create(path, Float32, []int{2, 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.WriteSampleFloat32(0, []float32{9, 9}); err != nil {
		t.Fatal(err)
	}
	if err := fw.Commit(); err == nil || !strings.Contains(err.Error(), "1 of 2 samples") {
		t.Fatalf("Commit of incomplete file: err = %v, want '1 of 2 samples'", err)
	}
	got, _, err := ReadFileFloat32(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []float32{1, 2, 3, 4}) {
		t.Errorf("original file changed to %v", got)
	}
	fw, err = Create(path, Float32, []int{2, 2})
	if err != nil {
		t.Fatal(err)
	}
	fw.Abort()
	fw.Abort()
	// Data that do not fill the shape are an error naming the file; the
	// old file stays and no temporary is left.
	if err := WriteFileFloat32(path, Float32, []int{3, 2}, []float32{1, 2, 3, 4}); err == nil || !strings.Contains(err.Error(), "a.npy") {
		t.Errorf("short data: err = %v, want an error naming a.npy", err)
	}
	if err := WriteFileFloat32(path, Float32, []int{-1, 2}, nil); err == nil {
		t.Error("negative dimension: no error")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only a.npy", names)
	}
}

func TestConcurrentSamples(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.npy")
	const n, s = 64, 1000
	fw, err := Create(path, Float32, []int{n, 10, 100})
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Abort()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			v := make([]float32, s)
			for i := g; i < n; i += 4 {
				for j := range v {
					v[j] = float32(i*s + j)
				}
				if err := fw.WriteSampleFloat32(i, v); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if fw.Written() != n {
		t.Fatalf("Written = %d, want %d", fw.Written(), n)
	}
	if err := fw.Commit(); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadFileFloat32(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != float32(i) {
			t.Fatalf("element %d = %g", i, v)
		}
	}
}

func TestWriterCount(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Float32, []int{2, 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat64([]float64{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Error("Close after 3 of 4 elements succeeded")
	}
	if err := w.WriteFloat32([]float32{4, 5}); err == nil {
		t.Error("writing past the declared shape succeeded")
	}
}

func TestBadFiles(t *testing.T) {
	okDict := "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"
	data := make([]byte, 8)
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"magic", []byte("PK\x03\x04 not npy at all"), "bad magic"},
		{"short", []byte("\x93NUM"), "truncated"},
		{"version", append(header(4, okDict), data...), "version 4.0"},
		{"header-trunc", header(1, okDict)[:30], "truncated header"},
		{"data-trunc", append(header(1, okDict), data[:5]...), "truncated: 73 bytes, want 76"},
		{"trailing", append(header(1, okDict), make([]byte, 12)...), "4 unexpected bytes"},
		{"fortran", append(header(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n"), data...), "fortran_order True"},
		{"big-endian", append(header(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n"), data...), "big-endian"},
		{"int32", append(header(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n"), data...), `dtype "<i4"`},
		{"structured", append(header(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n"), data...), "structured"},
		{"no-shape", append(header(1, "{'descr': '<f4', 'fortran_order': False}\n"), data...), "no 'shape'"},
		{"dup", append(header(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n"), data...), "duplicate"},
		{"int-shape", append(header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2)}\n"), data...), "not a tuple"},
		{"neg-shape", append(header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}\n"), data...), "non-negative"},
		{"extra-key", append(header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n"), data...), "unexpected header key"},
		{"huge", append(header(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}\n"), data...), "too large"},
		{"garbage-after", append(header(1, okDict[:len(okDict)-1]+"x"), data...), "after the header dict"},
		{"huge-hlen-v2", append([]byte("\x93NUMPY\x02\x00"), 0xff, 0xff, 0xff, 0x7f), "exceeds the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tc.b), int64(len(tc.b)), "bad-"+tc.name+".npy")
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want *FormatError", err, err)
			}
			if msg := err.Error(); !strings.Contains(msg, "bad-"+tc.name+".npy") || !strings.Contains(msg, tc.want) {
				t.Errorf("err = %q, want the file name and %q", msg, tc.want)
			}
		})
	}
}

func TestLenientHeaders(t *testing.T) {
	// Variants that numpy (via ast.literal_eval) accepts.
	for _, dict := range []string{
		`{"descr": "<f4", "fortran_order": False, "shape": (2,)}` + "\n",
		"{'shape': (2L,), 'fortran_order': False, 'descr': '<f4'}" + strings.Repeat(" ", 20) + "\n",
		"{ 'descr' : '<f4' ,\n 'fortran_order' : False , 'shape' : ( 2 , ) , }\n",
	} {
		b := append(header(1, dict), make([]byte, 8)...)
		r, err := NewReader(bytes.NewReader(b), int64(len(b)), "lenient")
		if err != nil {
			t.Errorf("%q: %v", dict, err)
			continue
		}
		if h := r.Header(); !reflect.DeepEqual(h.Shape, []int{2}) || h.DType != Float32 {
			t.Errorf("%q: header %+v", dict, h)
		}
	}
}
