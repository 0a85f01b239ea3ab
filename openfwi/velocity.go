package openfwi

import (
	"fmt"
	"math"

	"genfwi/npy"
)

// VelocityFile is an open .npy file of velocity maps in m/s, the one reader
// every genfwi command uses for velocity models. It accepts the OpenFWI
// layout [N,1,nz,nx] and also [N,nz,nx] and a single map [nz,nx]; any grid
// size is allowed (callers that need 70×70 ask with Require). Close it when
// done.
type VelocityFile struct {
	// Path is the file name, used in every error.
	Path string
	// N is the number of maps; Nz and Nx the rows (depth) and columns of
	// each.
	N, Nz, Nx int
	// Single is true for a file holding one map ([nz,nx] or N = 1), which
	// MapAt serves for every index.
	Single bool
	f      *npy.File
}

// OpenVelocity opens a velocity file and checks its shape. An array without
// a single map (a zero dimension) is an error naming the file.
func OpenVelocity(path string) (*VelocityFile, error) {
	f, err := npy.Open(path)
	if err != nil {
		return nil, err
	}
	v := &VelocityFile{Path: path, f: f}
	if v.N, v.Nz, v.Nx, err = velocityShape(path, f.Shape()); err != nil {
		f.Close()
		return nil, err
	}
	v.Single = v.N == 1
	return v, nil
}

// velocityShape returns (maps, nz, nx) of a velocity array shape.
func velocityShape(path string, shape []int) (n, nz, nx int, err error) {
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

// Close closes the file.
func (v *VelocityFile) Close() error { return v.f.Close() }

// Require returns an error unless the maps are nz×nx; what names the reason
// ("the OpenFWI geometry").
func (v *VelocityFile) Require(nz, nx int, what string) error {
	if v.Nz != nz || v.Nx != nx {
		return fmt.Errorf("%s: maps are %d×%d, %s needs %d×%d", v.Path, v.Nz, v.Nx, what, nz, nx)
	}
	return nil
}

// Maps reads maps lo:hi as one row-major slice [hi-lo][nz][nx] and checks
// that every value is finite; a NaN or Inf is reported with its map and
// cell.
func (v *VelocityFile) Maps(lo, hi int) ([]float32, error) {
	if lo < 0 || hi > v.N || lo > hi {
		return nil, fmt.Errorf("%s: maps %d:%d are outside 0:%d", v.Path, lo, hi, v.N)
	}
	cells := v.Nz * v.Nx
	out := make([]float32, (hi-lo)*cells)
	if err := v.f.ReadFloat32(out, int64(lo)*int64(cells)); err != nil {
		return nil, err
	}
	for k := lo; k < hi; k++ {
		if err := CheckFinite(v.Path, k, out[(k-lo)*cells:(k-lo+1)*cells], MapCell(v.Nx)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MapAt reads map k; a file holding a single map serves it for every k (a
// start model shared by all samples).
func (v *VelocityFile) MapAt(k int) ([]float32, error) {
	if v.Single {
		k = 0
	}
	if k < 0 || k >= v.N {
		return nil, fmt.Errorf("%s: sample %d is outside 0..%d", v.Path, k, v.N-1)
	}
	return v.Maps(k, k+1)
}

// Resized reads map k, refuses non-positive velocities and returns it on the
// nz×nx grid: as is when the sizes match, resized bilinearly
// (ResizeBilinear, as the training maps) otherwise.
func (v *VelocityFile) Resized(k, nz, nx int) ([]float32, error) {
	if k < 0 || k >= v.N {
		return nil, fmt.Errorf("%s holds %d maps, no map %d", v.Path, v.N, k)
	}
	m, err := v.Maps(k, k+1)
	if err != nil {
		return nil, err
	}
	for i, x := range m {
		if x <= 0 {
			return nil, fmt.Errorf("%s: map %d has velocity %v at %s (must be > 0 m/s)", v.Path, k, x, MapCell(v.Nx)(i))
		}
	}
	if v.Nz == nz && v.Nx == nx {
		return m, nil
	}
	if v.Nz < 2 || v.Nx < 2 {
		return nil, fmt.Errorf("%s: a %d×%d map is too small to resize", v.Path, v.Nz, v.Nx)
	}
	out := make([]float32, nz*nx)
	ResizeBilinear(out, nz, nx, m, v.Nz, v.Nx)
	return out, nil
}

// ReadMap reads map k of a velocity file whose maps must be on the OpenFWI
// grid (NZ×NX), with MapAt: a file of one map serves every k.
func ReadMap(path string, k int) ([]float32, error) {
	v, err := OpenVelocity(path)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	if err := v.Require(NZ, NX, "the OpenFWI geometry"); err != nil {
		return nil, err
	}
	return v.MapAt(k)
}

// CheckFinite returns an error naming name (a file, with its flag if the
// caller likes), sample and the position of the first NaN or ±Inf in v, one
// sample of an input; where names a flat index within the sample (MapCell,
// SeismicCell). A simulation would only see a non-finite misfit, so inputs
// are checked before anything is computed.
func CheckFinite(name string, sample int, v []float32, where func(i int) string) error {
	for i, x := range v {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s: sample %d has %v at %s (the input must be finite)", name, sample, x, where(i))
		}
	}
	return nil
}

// MapCell names a flat index of one nz×nx velocity map.
func MapCell(nx int) func(i int) string {
	return func(i int) string { return fmt.Sprintf("cell (z=%d, x=%d)", i/nx, i%nx) }
}

// SeismicCell names a flat index of one seismic sample [shots][nt][receivers].
func SeismicCell(nt, nrec int) func(i int) string {
	return func(i int) string {
		return fmt.Sprintf("shot %d, time sample %d, receiver %d", i/(nt*nrec), i/nrec%nt, i%nrec)
	}
}
