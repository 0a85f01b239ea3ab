package openfwi

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"genfwi/internal/filebuild"
	"genfwi/npy"
)

// VerifyReport is the result of Verify.
type VerifyReport struct {
	Dir      string `json:"dir"`
	Dataset  string `json:"dataset"`
	Complete bool   `json:"complete"`
	// Files and Samples count the files and samples checked.
	Files   int `json:"files"`
	Samples int `json:"samples"`
	// Bytes is the number of bytes read and hashed.
	Bytes int64 `json:"bytes"`
	// Problems lists every failed check; empty means the dataset is valid.
	Problems []string `json:"problems"`
	// DataMin and DataMax are the seismic extremes over all files, to
	// compare with the normalisation constants.
	DataMin float32 `json:"data_min"`
	DataMax float32 `json:"data_max"`
}

// OK reports whether no problem was found.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

// Verify checks a built dataset against its manifest: every file planned is
// present; every file has the recorded size and SHA-256, a .npy float32
// header of shape (n, 1, 70, 70) or (n, 5, 1000, 70) with n as recorded,
// no NaN or Inf, velocities within [1500, 4500] m/s, and value ranges equal
// to the recorded ones; no partial temporary files are left. It reads every
// byte once. onBytes, if set, is called with the number of data bytes read
// after each chunk.
func Verify(dir string, onBytes func(n int64)) (*VerifyReport, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	r := &VerifyReport{Dir: dir, Dataset: m.Dataset, Complete: m.Complete, Problems: []string{},
		DataMin: float32(math.Inf(1)), DataMax: float32(math.Inf(-1))}
	bad := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	if m.Format != ManifestFormat {
		bad("manifest format %q, want %q", m.Format, ManifestFormat)
	}
	if !m.Complete || len(m.Files) != m.FilesPlanned {
		bad("incomplete: %d of %d files built", len(m.Files), m.FilesPlanned)
	}
	for _, e := range m.Files {
		if e.ConfigID != m.ConfigID {
			bad("%s: built with config %.12s…, manifest has %.12s…", e.Data, e.ConfigID, m.ConfigID)
		}
		for _, c := range []struct {
			rel      string
			size     int64
			sum      string
			shape    []int
			lo, hi   float32
			velocity bool
		}{
			{e.Model, e.ModelBytes, e.ModelSHA256, []int{e.Samples, 1, NZ, NX}, e.ModelMin, e.ModelMax, true},
			{e.Data, e.DataBytes, e.DataSHA256, []int{e.Samples, Shots, NT, Receivers}, e.DataMin, e.DataMax, false},
		} {
			st, err := ScanNPY(filepath.Join(dir, c.rel), onBytes)
			if err != nil {
				bad("%s: %v", c.rel, err)
				continue
			}
			r.Bytes += st.Size
			for _, p := range st.Mismatches(c.size, c.sum, c.shape) {
				bad("%s: %s", c.rel, p)
			}
			if st.Lo != c.lo || st.Hi != c.hi {
				bad("%s: values in [%g, %g], manifest says [%g, %g]", c.rel, st.Lo, st.Hi, c.lo, c.hi)
			}
			if c.velocity && (st.Lo < VelocityLo || st.Hi > VelocityHi) {
				bad("%s: velocities in [%g, %g] m/s, outside [1500, 4500]", c.rel, st.Lo, st.Hi)
			}
			if !c.velocity {
				r.DataMin, r.DataMax = min(r.DataMin, st.Lo), max(r.DataMax, st.Hi)
			}
		}
		r.Files++
		r.Samples += e.Samples
	}
	// Leftover temporaries mean a build is running or was killed.
	for _, rel := range filebuild.Partials(dir) {
		bad("%s: partial file left by an interrupted or running build", rel)
	}
	return r, nil
}

// NPYStats summarises one float32 .npy file: its size and SHA-256 over all
// its bytes, its shape, and the range of its finite values.
type NPYStats struct {
	Size   int64
	SHA256 string
	Shape  []int
	// Lo and Hi are the extremes of the finite values (+Inf and -Inf if
	// there are none); NonFinite counts the NaN and Inf values.
	Lo, Hi    float32
	NonFinite int64
}

// Mismatches lists how the file differs from what a manifest recorded for
// it (size, SHA-256, shape) and whether it holds NaN or Inf values, one
// message each, without the file's name.
func (s *NPYStats) Mismatches(size int64, sum string, shape []int) []string {
	var out []string
	switch {
	case s.Size != size:
		out = append(out, fmt.Sprintf("%d bytes, manifest says %d", s.Size, size))
	case s.SHA256 != sum:
		out = append(out, fmt.Sprintf("SHA-256 %s, manifest says %s", s.SHA256, sum))
	}
	if !slices.Equal(s.Shape, shape) {
		out = append(out, fmt.Sprintf("shape %v, want %v", s.Shape, shape))
	}
	if s.NonFinite > 0 {
		out = append(out, fmt.Sprintf("%d NaN or Inf values", s.NonFinite))
	}
	return out
}

// ScanNPY reads a float32 .npy file once, in chunks, hashing every byte and
// scanning the values; onBytes, if set, is called with the number of data
// bytes read after each chunk. A file of another dtype is an error.
func ScanNPY(path string, onBytes func(int64)) (*NPYStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	cr := &countReader{r: f}
	br := bufio.NewReaderSize(io.TeeReader(cr, h), 1<<20)
	hdr, err := npy.ReadHeader(br, path)
	if err != nil {
		return nil, err
	}
	if hdr.DType != npy.Float32 {
		return nil, fmt.Errorf("dtype %v, want <f4", hdr.DType)
	}
	st := &NPYStats{Shape: hdr.Shape, Lo: float32(math.Inf(1)), Hi: float32(math.Inf(-1))}
	buf := make([]byte, 1<<16)
	left := hdr.DataBytes()
	for left > 0 {
		n := int(min(int64(len(buf)), left))
		if _, err := io.ReadFull(br, buf[:n]); err != nil {
			return nil, fmt.Errorf("truncated data: %w", err)
		}
		for i := 0; i+4 <= n; i += 4 {
			v := math.Float32frombits(binary.LittleEndian.Uint32(buf[i:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				st.NonFinite++
				continue
			}
			st.Lo, st.Hi = min(st.Lo, v), max(st.Hi, v)
		}
		left -= int64(n)
		if onBytes != nil {
			onBytes(int64(n))
		}
	}
	if _, err := io.Copy(io.Discard, br); err != nil { // trailing bytes count in size and hash
		return nil, err
	}
	st.Size = cr.n
	st.SHA256 = hex.EncodeToString(h.Sum(nil))
	return st, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
