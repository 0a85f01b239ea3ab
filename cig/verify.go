package cig

import (
	"fmt"
	"math"
	"path/filepath"

	"genfwi/internal/filebuild"
	"genfwi/openfwi"
)

// VerifyReport is the result of Verify.
type VerifyReport struct {
	Dir      string `json:"dir"`
	Complete bool   `json:"complete"`
	// Files and Pairs count the files and pairs checked.
	Files int `json:"files"`
	Pairs int `json:"pairs"`
	// MaxY is the manifest's normalisation constant.
	MaxY float32 `json:"max_y"`
	// Problems lists every failed check; empty means the data set is valid.
	Problems []string `json:"problems"`
}

// Verify checks a built CIG data set against its manifest: every planned file
// is present with the recorded size and SHA-256, dtype float32 and shape, no
// NaN or Inf, the recorded velocity range and gather maximum; MaxY is set; no
// partial temporary file is left.
func Verify(dir string) (*VerifyReport, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	r := &VerifyReport{Dir: dir, Complete: m.Complete, MaxY: m.MaxY, Problems: []string{}}
	bad := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	if !m.Complete {
		bad("incomplete: %d of %d files built", len(m.Entries), m.FilesPlanned)
	}
	if !(m.MaxY > 0) {
		bad("max_y is %v: the normalisation constant is missing", m.MaxY)
	}
	for _, e := range m.Entries {
		if e.ConfigID != m.ConfigID {
			bad("%s: built with config %.12s…, manifest has %.12s…", e.CIG, e.ConfigID, m.ConfigID)
		}
		for _, c := range []struct {
			rel   string
			size  int64
			sum   string
			shape []int
			vel   bool
		}{
			{e.Vel, e.VelBytes, e.VelSHA256, []int{e.Samples, 1, m.Nz, m.Nx}, true},
			{e.CIG, e.CIGBytes, e.CIGSHA256, []int{e.Samples, len(m.Offsets), m.Nz, m.Nx}, false},
		} {
			st, err := openfwi.ScanNPY(filepath.Join(dir, c.rel), nil)
			if err != nil {
				bad("%s: %v", c.rel, err)
				continue
			}
			for _, p := range st.Mismatches(c.size, c.sum, c.shape) {
				bad("%s: %s", c.rel, p)
			}
			lo, hi := st.Lo, st.Hi
			amax := max(float32(math.Abs(float64(lo))), float32(math.Abs(float64(hi))))
			if c.vel && (lo != e.VelMin || hi != e.VelMax) {
				bad("%s: velocities in [%g, %g], manifest says [%g, %g]", c.rel, lo, hi, e.VelMin, e.VelMax)
			}
			if !c.vel && amax != e.CIGAbsMax {
				bad("%s: max |gather| %g, manifest says %g", c.rel, amax, e.CIGAbsMax)
			}
		}
		r.Files++
		r.Pairs += e.Samples
	}
	for _, rel := range filebuild.Partials(dir) {
		bad("%s: partial file left by an interrupted or running build", rel)
	}
	return r, nil
}
