package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"genfwi/internal/atomicfile"
)

// Writer streams one array sequentially into an io.Writer: NewWriter writes
// the header, WriteFloat32/WriteFloat64 append elements in C order, and Close
// flushes and checks that exactly Len elements were written. Use FileWriter
// to create files.
type Writer struct {
	bw      *bufio.Writer
	dt      DType
	n, want int64
	buf     []byte
}

// NewWriter writes the header for an array of dtype dt and the given shape to
// w and returns a Writer for its elements. It panics on a negative dimension
// or an invalid dtype.
func NewWriter(w io.Writer, dt DType, shape []int) (*Writer, error) {
	hdr := encodeHeader(dt, shape)
	bw := bufio.NewWriterSize(w, chunkBytes)
	if _, err := bw.Write(hdr); err != nil {
		return nil, err
	}
	h := Header{DType: dt, Shape: shape}
	return &Writer{bw: bw, dt: dt, want: h.Len(), buf: make([]byte, chunkBytes)}, nil
}

// WriteFloat32 appends v, converting to the array's dtype. It returns an
// error, writing nothing, if v would exceed the declared element count.
func (w *Writer) WriteFloat32(v []float32) error { return write(w, v) }

// WriteFloat64 appends v, converting to the array's dtype (float64 to float32
// rounds to nearest). It returns an error if v would exceed the element count.
func (w *Writer) WriteFloat64(v []float64) error { return write(w, v) }

// float is the element type of the caller's slices.
type float interface{ ~float32 | ~float64 }

// write is WriteFloat32 and WriteFloat64.
func write[T float](w *Writer, v []T) error {
	if w.n+int64(len(v)) > w.want {
		return fmt.Errorf("npy: writing %d elements after %d exceeds the declared %d", len(v), w.n, w.want)
	}
	for len(v) > 0 {
		k := encode(w.buf, v, w.dt)
		if _, err := w.bw.Write(w.buf[:k*w.dt.Size()]); err != nil {
			return err
		}
		w.n += int64(k)
		v = v[k:]
	}
	return nil
}

// Close flushes buffered data. It returns an error if fewer elements than
// the shape declares were written. It does not close the underlying writer.
func (w *Writer) Close() error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if w.n != w.want {
		return fmt.Errorf("npy: %d of %d elements written", w.n, w.want)
	}
	return nil
}

// encode encodes as many elements of v as fit into buf as dt and returns
// how many; float64 to float32 rounds to nearest.
func encode[T float](buf []byte, v []T, dt DType) int {
	k := min(len(v), len(buf)/dt.Size())
	switch dt {
	case Float32:
		for i, x := range v[:k] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(float32(x)))
		}
	case Float64:
		for i, x := range v[:k] {
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(float64(x)))
		}
	}
	return k
}

// FileWriter creates a .npy file of known dtype and shape whose samples
// (slices along the first axis) may be written in any order and from many
// goroutines. Data go to a temporary file in the destination directory
// (named ".NAME.partial-*"); Commit renames it to the final path only after
// every sample has been written and synced, so the final path never holds a
// partial file. Call Abort (or Commit) exactly once; Abort after Commit is a
// no-op, so "defer fw.Abort()" is the idiom.
type FileWriter struct {
	path, tmp string
	f         *os.File
	h         Header

	mu      sync.Mutex
	done    []bool
	ndone   int
	scratch sync.Pool
	closed  bool
}

// Create starts writing the array at path. The header is written at once and
// the data region is preallocated (sparse where the filesystem allows).
func Create(path string, dt DType, shape []int) (*FileWriter, error) {
	return CreateVersion(path, dt, shape, 0)
}

// CreateVersion is Create with an explicit format version major (1, 2 or 3;
// 0 picks the smallest that fits, as Create does).
func CreateVersion(path string, dt DType, shape []int, major int) (*FileWriter, error) {
	hdr, err := EncodeHeader(dt, shape, major)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	if err := atomicfile.CheckTarget(path); err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".partial-*")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	fw := &FileWriter{path: path, tmp: f.Name(), f: f}
	fw.h = Header{Major: int(hdr[6]), DType: dt, Shape: slices.Clone(shape), DataOffset: int64(len(hdr))}
	fw.done = make([]bool, fw.h.Samples())
	fw.scratch.New = func() any { b := make([]byte, chunkBytes); return &b }
	if _, err := f.Write(hdr); err == nil {
		err = f.Truncate(fw.h.DataOffset + fw.h.DataBytes())
	}
	if err != nil {
		fw.Abort()
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	return fw, nil
}

// Header returns the header of the file being written.
func (fw *FileWriter) Header() Header {
	h := fw.h
	h.Shape = slices.Clone(fw.h.Shape)
	return h
}

// WriteSampleFloat32 writes sample i (len(v) must equal SampleLen), converting
// to the file's dtype. Safe for concurrent use with distinct or equal i
// (rewriting a sample overwrites it). It panics if i or len(v) is out of range.
func (fw *FileWriter) WriteSampleFloat32(i int, v []float32) error {
	return writeSample(fw, i, v)
}

// WriteSampleFloat64 is WriteSampleFloat32 for float64 input.
func (fw *FileWriter) WriteSampleFloat64(i int, v []float64) error {
	return writeSample(fw, i, v)
}

// writeSample is WriteSampleFloat32 and WriteSampleFloat64.
func writeSample[T float](fw *FileWriter, i int, v []T) error {
	n := len(v)
	if i < 0 || i >= len(fw.done) {
		panic(fmt.Sprintf("npy: sample %d outside 0:%d", i, len(fw.done)))
	}
	if n != fw.h.SampleLen() {
		panic(fmt.Sprintf("npy: sample length %d, want %d", n, fw.h.SampleLen()))
	}
	fw.mu.Lock()
	closed := fw.closed
	fw.mu.Unlock()
	if closed {
		return fmt.Errorf("writing %s: writer already committed or aborted", fw.path)
	}
	bp := fw.scratch.Get().(*[]byte)
	defer fw.scratch.Put(bp)
	es := int64(fw.h.DType.Size())
	pos := fw.h.DataOffset + int64(i)*int64(n)*es
	for at := 0; at < n; {
		k := encode(*bp, v[at:], fw.h.DType)
		if _, err := fw.f.WriteAt((*bp)[:int64(k)*es], pos); err != nil {
			return fmt.Errorf("writing %s: %w", fw.path, err)
		}
		at += k
		pos += int64(k) * es
	}
	fw.mu.Lock()
	if !fw.done[i] {
		fw.done[i] = true
		fw.ndone++
	}
	fw.mu.Unlock()
	return nil
}

// Written returns the number of distinct samples written so far.
func (fw *FileWriter) Written() int {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	return fw.ndone
}

// Commit checks that every sample was written, syncs the data to disk and
// renames the temporary file to the final path (replacing an existing
// regular file; a symbolic link, directory or device there is refused, as
// Create refuses it up front: see atomicfile.CheckTarget).
// On error the temporary file is removed.
func (fw *FileWriter) Commit() error {
	fw.mu.Lock()
	if fw.closed {
		fw.mu.Unlock()
		return fmt.Errorf("committing %s: writer already committed or aborted", fw.path)
	}
	fw.closed = true
	ndone := fw.ndone
	fw.mu.Unlock()
	fail := func(err error) error {
		fw.f.Close()
		os.Remove(fw.tmp)
		return err
	}
	if ndone != len(fw.done) {
		return fail(fmt.Errorf("committing %s: only %d of %d samples written", fw.path, ndone, len(fw.done)))
	}
	if err := fw.f.Chmod(0o644); err != nil {
		return fail(fmt.Errorf("committing %s: %w", fw.path, err))
	}
	if err := fw.f.Sync(); err != nil {
		return fail(fmt.Errorf("committing %s: %w", fw.path, err))
	}
	if err := fw.f.Close(); err != nil {
		os.Remove(fw.tmp)
		return fmt.Errorf("committing %s: %w", fw.path, err)
	}
	if err := atomicfile.Rename(fw.tmp, fw.path); err != nil {
		os.Remove(fw.tmp)
		return fmt.Errorf("committing %s: %w", fw.path, err)
	}
	syncDir(filepath.Dir(fw.path))
	return nil
}

// Abort discards the temporary file. It is a no-op after Commit or Abort.
func (fw *FileWriter) Abort() {
	fw.mu.Lock()
	if fw.closed {
		fw.mu.Unlock()
		return
	}
	fw.closed = true
	fw.mu.Unlock()
	fw.f.Close()
	os.Remove(fw.tmp)
}

// syncDir makes a rename durable. Errors are ignored: some filesystems do
// not support syncing directories, and the rename itself already succeeded.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// WriteFileFloat32 atomically writes data with the given shape to path as
// dtype dt (a temporary file in the same directory, then a rename). Data whose
// length is not the product of shape is an error, and nothing is written.
func WriteFileFloat32(path string, dt DType, shape []int, data []float32) error {
	return writeFile(path, dt, shape, data)
}

// WriteFileFloat64 is WriteFileFloat32 for float64 data.
func WriteFileFloat64(path string, dt DType, shape []int, data []float64) error {
	return writeFile(path, dt, shape, data)
}

// StageFileFloat32 writes data as WriteFileFloat32 does but leaves the
// temporary file uncommitted: the caller commits the returned writer (the
// file then appears at path) or aborts it, e.g. to commit several files in
// a chosen order. On error nothing is left behind.
func StageFileFloat32(path string, dt DType, shape []int, data []float32) (*FileWriter, error) {
	return stageFile(path, dt, shape, data)
}

// writeFile is WriteFileFloat32 and WriteFileFloat64.
func writeFile[T float](path string, dt DType, shape []int, data []T) error {
	fw, err := stageFile(path, dt, shape, data)
	if err != nil {
		return err
	}
	return fw.Commit()
}

// stageFile is StageFileFloat32 for either input type.
func stageFile[T float](path string, dt DType, shape []int, data []T) (*FileWriter, error) {
	fw, err := createWhole(path, dt, shape, len(data))
	if err != nil {
		return nil, err
	}
	s := fw.h.SampleLen()
	for i := range fw.done {
		if err := writeSample(fw, i, data[i*s:(i+1)*s]); err != nil {
			fw.Abort()
			return nil, err
		}
	}
	return fw, nil
}

func createWhole(path string, dt DType, shape []int, n int) (*FileWriter, error) {
	h := Header{DType: dt, Shape: shape}
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("npy: %s: negative dimension in shape %v", path, shape)
		}
	}
	if h.Len() != int64(n) {
		return nil, fmt.Errorf("npy: %s: data length %d does not match shape %v", path, n, shape)
	}
	return Create(path, dt, shape)
}
