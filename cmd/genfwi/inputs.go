package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"genfwi/internal/atomicfile"
	"genfwi/wavediff"
)

// velocityGeometry returns (samples, nz, nx) of a velocity array shape
// [N,1,nz,nx], [N,nz,nx] or [nz,nx]. An array without a single map (a zero
// dimension) is an error naming path.
func velocityGeometry(path string, shape []int) (n, nz, nx int, err error) {
	switch {
	case len(shape) == 4 && shape[1] == 1:
		n, nz, nx = shape[0], shape[2], shape[3]
	case len(shape) == 3:
		n, nz, nx = shape[0], shape[1], shape[2]
	case len(shape) == 2:
		n, nz, nx = 1, shape[0], shape[1]
	default:
		return 0, 0, 0, fmt.Errorf("%s: shape %v is not a velocity array [N,1,nz,nx], [N,nz,nx] or [nz,nx]", path, shape)
	}
	if n == 0 || nz == 0 || nx == 0 {
		return 0, 0, 0, fmt.Errorf("%s: shape %v holds no velocity map (empty array)", path, shape)
	}
	return n, nz, nx, nil
}

// checkFinite returns an error naming flag (if not empty), path, sample and
// the position of the first NaN or ±Inf in v, one sample of an input file;
// where describes a flat index within the sample.
func checkFinite(flag, path string, sample int, v []float32, where func(i int) string) error {
	for i, x := range v {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s: sample %d has %v at %s (the input must be finite)", strings.TrimSpace(flag+" "+path), sample, x, where(i))
		}
	}
	return nil
}

// seismicWhere names a flat index of one OpenFWI-layout seismic sample
// [shots][nt][receivers].
func seismicWhere(nt, nrec int) func(i int) string {
	return func(i int) string {
		return fmt.Sprintf("shot %d, time sample %d, receiver %d", i/(nt*nrec), i/nrec%nt, i%nrec)
	}
}

// mapWhere names a flat index of one nz×nx velocity map.
func mapWhere(nx int) func(i int) string {
	return func(i int) string { return fmt.Sprintf("cell (z=%d, x=%d)", i/nx, i%nx) }
}

// fileArg is a file named on the command line: its flag and its path.
type fileArg struct{ Flag, Path string }

// checkOutputs refuses, before anything is computed, outputs that cannot be
// written safely: a path that exists and is not a regular file (a symbolic
// link, a directory, a device: atomicfile.CheckTarget), or the same file as
// one of the inputs (os.SameFile). Empty paths and inputs that do not exist
// are skipped (an input's own errors come when it is read).
func checkOutputs(outs, ins []fileArg) error {
	for _, o := range outs {
		if o.Path == "" {
			continue
		}
		if err := atomicfile.CheckTarget(o.Path); err != nil {
			return fmt.Errorf("%s: %w", o.Flag, err)
		}
		ost, err := os.Stat(o.Path)
		if err != nil {
			continue
		}
		for _, in := range ins {
			if in.Path == "" {
				continue
			}
			if ist, err := os.Stat(in.Path); err == nil && os.SameFile(ost, ist) {
				return fmt.Errorf("%s %s is the same file as the input %s %s: refusing to overwrite an input", o.Flag, o.Path, in.Flag, in.Path)
			}
		}
	}
	return nil
}

// modelFileArg resolves a model flag (run directory or .safetensors) to the
// file it names, for checkOutputs; a path that does not resolve is kept as
// given.
func modelFileArg(flag, arg string) fileArg {
	if arg == "" {
		return fileArg{flag, ""}
	}
	if p, err := wavediff.ModelPath(arg); err == nil {
		return fileArg{flag, p}
	}
	return fileArg{flag, arg}
}

// inDir lists names inside dir as outputs of flag (e.g. "--out").
func inDir(flag, dir string, names ...string) []fileArg {
	out := make([]fileArg, len(names))
	for i, n := range names {
		out[i] = fileArg{flag, filepath.Join(dir, n)}
	}
	return out
}

// sameDir reports whether a and b both exist and are the same directory.
func sameDir(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}
