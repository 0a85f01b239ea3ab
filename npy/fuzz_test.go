package npy

import (
	"os"
	"reflect"
	"testing"
)

// FuzzParseHeader checks that the parser never panics and that every header
// it accepts survives a re-encode/parse round trip. Run with
//
//	go test ./npy -run '^$' -fuzz FuzzParseHeader -fuzztime 1m
func FuzzParseHeader(f *testing.F) {
	if b, err := os.ReadFile(realModel); err == nil && len(b) >= 128 {
		f.Add(b[:128])
	}
	f.Add(goldenF8)
	for _, shape := range [][]int{{}, {0}, {3}, {500, 5, 1000, 70}} {
		for _, major := range []int{1, 2, 3} {
			for _, dt := range []DType{Float32, Float64} {
				hdr, _ := EncodeHeader(dt, shape, major)
				f.Add(hdr)
			}
		}
	}
	f.Add(header(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n"))
	f.Add(header(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n"))
	f.Add(header(2, `{"shape": (2L, 3), "fortran_order": False, "descr": "<f8"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if h != nil {
				t.Fatal("non-nil header with error")
			}
			return
		}
		if h.DataOffset > int64(len(b)) || h.DataOffset < 10 {
			t.Fatalf("DataOffset %d outside the %d input bytes", h.DataOffset, len(b))
		}
		if h.DataBytes() < 0 {
			t.Fatalf("negative data size for shape %v", h.Shape)
		}
		enc, err := EncodeHeader(h.DType, h.Shape, 0)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", h, err)
		}
		h2, err := ParseHeader(enc)
		if err != nil {
			t.Fatalf("re-parsing %q: %v", enc, err)
		}
		if h2.DType != h.DType || !reflect.DeepEqual(h2.Shape, h.Shape) || h2.DataOffset%64 != 0 {
			t.Fatalf("round trip changed %+v to %+v", h, h2)
		}
	})
}
