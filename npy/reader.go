package npy

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// chunkBytes is the size of the byte buffer used to decode data: large enough
// to amortise ReadAt calls, small enough to stay in cache.
const chunkBytes = 1 << 16

// Reader reads elements of one .npy array through an io.ReaderAt without
// loading the whole array. It is safe for concurrent use if the underlying
// ReaderAt is (an *os.File is).
type Reader struct {
	name string
	ra   io.ReaderAt
	h    Header
}

// NewReader parses the header of the .npy array held in ra, whose total size
// is size bytes, and checks that the data are complete: a size smaller than
// DataOffset+DataBytes is reported as truncated, a larger one as trailing
// garbage. name is used in error messages.
func NewReader(ra io.ReaderAt, size int64, name string) (*Reader, error) {
	h, err := ReadHeader(io.NewSectionReader(ra, 0, size), name)
	if err != nil {
		return nil, err
	}
	want := h.DataOffset + h.DataBytes()
	switch {
	case size < want:
		return nil, formatErr(name, "truncated: %d bytes, want %d for shape %v %s (%d bytes missing)",
			size, want, h.Shape, h.DType, want-size)
	case size > want:
		return nil, formatErr(name, "%d unexpected bytes after the data (size %d, want %d for shape %v %s)",
			size-want, size, want, h.Shape, h.DType)
	}
	return &Reader{name: name, ra: ra, h: *h}, nil
}

// Header returns a copy of the parsed header.
func (r *Reader) Header() Header {
	h := r.h
	h.Shape = slices.Clone(r.h.Shape)
	return h
}

// Shape returns a copy of the array shape.
func (r *Reader) Shape() []int { return slices.Clone(r.h.Shape) }

// Name returns the name given to NewReader (the path for Open).
func (r *Reader) Name() string { return r.name }

// ReadFloat32 fills dst with the elements starting at flat C-order element
// index off, converting float64 data to float32 (rounding to nearest). It
// does not allocate beyond a fixed 64 KiB decode buffer. It panics if the
// range [off, off+len(dst)) is outside the array.
func (r *Reader) ReadFloat32(dst []float32, off int64) error { return read(r, dst, off) }

// ReadFloat64 fills dst with the elements starting at flat element index
// off, converting float32 data to float64 exactly. Like ReadFloat32 it panics
// if the range is outside the array.
func (r *Reader) ReadFloat64(dst []float64, off int64) error { return read(r, dst, off) }

// read is ReadFloat32 and ReadFloat64.
func read[T float](r *Reader, dst []T, off int64) error {
	r.checkRange(off, len(dst))
	return r.decode(off, len(dst), func(b []byte, at int) {
		switch r.h.DType {
		case Float32:
			for i := 0; i+4 <= len(b); i += 4 {
				dst[at] = T(math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
				at++
			}
		case Float64:
			for i := 0; i+8 <= len(b); i += 8 {
				dst[at] = T(math.Float64frombits(binary.LittleEndian.Uint64(b[i:])))
				at++
			}
		}
	})
}

// ReadSamplesFloat32 fills dst with samples lo..hi-1 (slices along the first
// axis), converting to float32. len(dst) must be (hi-lo)*SampleLen; it panics
// otherwise or when 0 <= lo <= hi <= Samples does not hold.
func (r *Reader) ReadSamplesFloat32(dst []float32, lo, hi int) error {
	s := r.checkSamples(len(dst), lo, hi)
	return r.ReadFloat32(dst, int64(lo)*s)
}

// ReadSamplesFloat64 is ReadSamplesFloat32 for float64 destinations.
func (r *Reader) ReadSamplesFloat64(dst []float64, lo, hi int) error {
	s := r.checkSamples(len(dst), lo, hi)
	return r.ReadFloat64(dst, int64(lo)*s)
}

func (r *Reader) checkSamples(n, lo, hi int) int64 {
	if lo < 0 || hi < lo || hi > r.h.Samples() {
		panic(fmt.Sprintf("npy: sample range %d:%d outside 0:%d", lo, hi, r.h.Samples()))
	}
	s := int64(r.h.SampleLen())
	if int64(n) != int64(hi-lo)*s {
		panic(fmt.Sprintf("npy: destination length %d, want %d samples × %d", n, hi-lo, s))
	}
	return s
}

func (r *Reader) checkRange(off int64, n int) {
	if off < 0 || off+int64(n) > r.h.Len() {
		panic(fmt.Sprintf("npy: element range [%d, %d) outside array of %d elements", off, off+int64(n), r.h.Len()))
	}
}

// decode reads n elements from element off in chunks and hands each chunk to
// put together with the index of its first element in the destination.
func (r *Reader) decode(off int64, n int, put func(b []byte, at int)) error {
	es := r.h.DType.Size()
	buf := make([]byte, min(chunkBytes, n*es))
	pos := r.h.DataOffset + off*int64(es)
	for at := 0; at < n; {
		k := min(len(buf)/es, n-at)
		b := buf[:k*es]
		if _, err := r.ra.ReadAt(b, pos); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				// The size was checked in NewReader, so the file
				// shrank under us.
				return formatErr(r.name, "truncated while reading at byte %d", pos)
			}
			return fmt.Errorf("reading %s: %w", r.name, err)
		}
		put(b, at)
		at += k
		pos += int64(len(b))
	}
	return nil
}

// File is a Reader over an open file. Close it when done.
type File struct {
	*Reader
	f *os.File
}

// Open opens the .npy file at path and parses its header; the data are read
// on demand.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("reading %s: not a regular file", path)
	}
	r, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &File{Reader: r, f: f}, nil
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// ReadFileFloat32 reads a whole .npy file into a new float32 slice,
// converting float64 data. It returns the data and the shape.
func ReadFileFloat32(path string) ([]float32, []int, error) {
	return readFile[float32](path, 4)
}

// ReadFileFloat64 reads a whole .npy file into a new float64 slice,
// converting float32 data. It returns the data and the shape.
func ReadFileFloat64(path string) ([]float64, []int, error) {
	return readFile[float64](path, 8)
}

// readFile is ReadFileFloat32 and ReadFileFloat64; size is the byte size
// of a T.
func readFile[T float](path string, size int64) ([]T, []int, error) {
	f, err := Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if err := f.checkMem(size); err != nil {
		return nil, nil, err
	}
	dst := make([]T, f.h.Len())
	if err := read(f.Reader, dst, 0); err != nil {
		return nil, nil, err
	}
	return dst, f.Shape(), nil
}

func (r *Reader) checkMem(es int64) error {
	if r.h.Len() > int64(math.MaxInt)/es {
		return formatErr(r.name, "array of %d elements does not fit in memory; use Open and read sample ranges", r.h.Len())
	}
	return nil
}
