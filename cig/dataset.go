package cig

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"genfwi/npy"
)

// Format identifies the manifest layout of a CIG data set.
const Format = "genfwi-cig-dataset/1"

// Meta describes a CIG data set; it is the head of DIR/manifest.json.
type Meta struct {
	// Format is the manifest layout (Format).
	Format string `json:"format"`
	// Nz, Nx and H are the grid of the velocity maps and gathers (H in m).
	Nz int     `json:"nz"`
	Nx int     `json:"nx"`
	H  float64 `json:"h"`
	// Offsets are the subsurface offsets of the gathers, in cells.
	Offsets []int `json:"offsets"`
	// Shots, Receivers, T (s) and SNRdB (0 = noise-free) summarise the
	// acquisition; Survey holds all of it.
	Shots     int     `json:"shots"`
	Receivers int     `json:"receivers"`
	T         float64 `json:"t"`
	SNRdB     float64 `json:"snr_db"`
	// MaxY is the normalisation constant: the 0.9999 quantile of the
	// absolute depth-weighted gather values over the first min(300, N)
	// gathers of the training set (WISE.jl train_openfwi.jl). The gather files hold
	// the depth-weighted gathers; Read divides them by MaxY. 0 while the
	// gathers it needs are not built yet.
	MaxY float32 `json:"max_y"`
	// MaxYFrom says where MaxY comes from: "this set (first K gathers)" or
	// the training set it was copied from (a test set must take it from
	// training data).
	MaxYFrom string `json:"max_y_from"`
	// Count is the number of (velocity, gather) pairs built so far;
	// Planned the number the configuration asks for; Complete says
	// whether every file is built.
	Count    int  `json:"count"`
	Planned  int  `json:"planned"`
	Complete bool `json:"complete"`
	// Source says where the velocity maps came from (files, resizing).
	Source string `json:"source"`
	// Dataset is the OpenFWI dataset of the maps ("curvevel-a"); Split
	// "train" or "test"; Files the input file numbers (model{N}.npy).
	Dataset string `json:"dataset"`
	Split   string `json:"split"`
	Files   []int  `json:"files"`
	// Seed is the base seed; SeedRule how each pair's seed derives from it.
	Seed     uint64 `json:"seed"`
	SeedRule string `json:"seed_rule"`
	// Survey is the full acquisition and imaging configuration.
	Survey SurveyConfig `json:"survey"`
	// ConfigID is the SHA-256 of the build configuration; Version the
	// genfwi version that built the newest file.
	ConfigID string `json:"config_id"`
	Version  string `json:"genfwi_version"`
}

// Entry is the manifest record of one built file pair.
type Entry struct {
	// ID numbers the output files from 0 in build order; shard i of n
	// builds the IDs with ID mod n = i.
	ID int `json:"id"`
	// Input is the velocity file read (relative to the maps directory),
	// InputNumber its number N (model{N}.npy) and Samples the maps taken
	// from its start.
	Input       string `json:"input"`
	InputNumber int    `json:"input_number"`
	Samples     int    `json:"samples"`
	// Vel and CIG are the output files relative to the data set directory:
	// (n, 1, Nz, Nx) velocities in m/s and (n, offsets, Nz, Nx) depth-weighted
	// gathers, float32.
	Vel string `json:"vel"`
	CIG string `json:"cig"`
	// Fields below are filled when the file is built.
	ConfigID  string  `json:"config_id,omitempty"`
	VelSHA256 string  `json:"vel_sha256,omitempty"`
	CIGSHA256 string  `json:"cig_sha256,omitempty"`
	VelBytes  int64   `json:"vel_bytes,omitempty"`
	CIGBytes  int64   `json:"cig_bytes,omitempty"`
	VelMin    float32 `json:"vel_min,omitempty"`
	VelMax    float32 `json:"vel_max,omitempty"`
	CIGAbsMax float32 `json:"cig_abs_max,omitempty"`
	// SNRMin and SNRMax are the extremes of the realised SNRs (dB).
	SNRMin   float64 `json:"snr_min,omitempty"`
	SNRMax   float64 `json:"snr_max,omitempty"`
	Version  string  `json:"genfwi_version,omitempty"`
	Seconds  float64 `json:"seconds,omitempty"`
	Finished string  `json:"finished,omitempty"`
}

// Manifest is DIR/manifest.json: the data set description and one entry per
// completed file, in ID order.
type Manifest struct {
	Meta
	FilesPlanned int     `json:"files_planned"`
	Entries      []Entry `json:"entries"`
}

// ReadManifest reads and checks dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	p := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a CIG data set: %s is missing (build it with genfwi cig build)", dir, p)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%s: format %q, want %q", p, m.Format, Format)
	}
	return &m, nil
}

// Dataset reads the (velocity, gather) pairs of a built CIG data set. It is
// safe for concurrent use.
type Dataset struct {
	dir   string
	meta  Meta
	files []dsFile
}

type dsFile struct {
	first, n int // global index of the first pair, pairs in the file
	vel, cig *npy.File
}

// Open opens the CIG data set in dir: it reads manifest.json, checks that the
// normalisation constant is known and that every file listed exists with the
// recorded size, dtype float32 and shapes (n, 1, Nz, Nx) and (n, offsets, Nz,
// Nx). Errors name the file. A data set still being built opens with the
// pairs built so far (Meta().Complete is false); use "genfwi cig verify" to
// check the checksums.
func Open(dir string) (*Dataset, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	mp := filepath.Join(dir, "manifest.json")
	if m.Nz < 1 || m.Nx < 1 || len(m.Offsets) == 0 {
		return nil, fmt.Errorf("%s: bad grid %d×%d with %d offsets", mp, m.Nz, m.Nx, len(m.Offsets))
	}
	if !(m.MaxY > 0) || math.IsInf(float64(m.MaxY), 0) {
		return nil, fmt.Errorf("%s: the normalisation constant max_y is %v: the gathers it is computed from are not built yet (or --maxy-from was not given for a test set)", mp, m.MaxY)
	}
	d := &Dataset{dir: dir, meta: m.Meta}
	ok := false
	defer func() {
		if !ok {
			d.Close()
		}
	}()
	count := 0
	for _, e := range m.Entries {
		f := dsFile{first: count, n: e.Samples}
		var err error
		if f.vel, err = openChecked(filepath.Join(dir, e.Vel), e.VelBytes, []int{e.Samples, 1, m.Nz, m.Nx}); err != nil {
			return nil, err
		}
		d.files = append(d.files, f)
		if d.files[len(d.files)-1].cig, err = openChecked(filepath.Join(dir, e.CIG), e.CIGBytes, []int{e.Samples, len(m.Offsets), m.Nz, m.Nx}); err != nil {
			return nil, err
		}
		count += e.Samples
	}
	if count != m.Count {
		return nil, fmt.Errorf("%s: entries hold %d pairs, count says %d", mp, count, m.Count)
	}
	ok = true
	return d, nil
}

// openChecked opens a .npy file and checks its size, dtype and shape.
func openChecked(path string, size int64, shape []int) (*npy.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("CIG data set file: %w", err)
	}
	if size > 0 && st.Size() != size {
		return nil, fmt.Errorf("%s: %d bytes, the manifest says %d (incomplete or replaced file)", path, st.Size(), size)
	}
	f, err := npy.Open(path)
	if err != nil {
		return nil, err
	}
	h := f.Header()
	if h.DType != npy.Float32 {
		f.Close()
		return nil, fmt.Errorf("%s: dtype %v, want <f4", path, h.DType)
	}
	if !slices.Equal(h.Shape, shape) {
		f.Close()
		return nil, fmt.Errorf("%s: shape %v, want %v", path, h.Shape, shape)
	}
	return f, nil
}

// Meta returns the data set description (a copy).
func (d *Dataset) Meta() Meta {
	m := d.meta
	m.Offsets = append([]int(nil), m.Offsets...)
	m.Files = append([]int(nil), m.Files...)
	m.Survey.Offsets = append([]int(nil), m.Survey.Offsets...)
	return m
}

// Len returns the number of pairs.
func (d *Dataset) Len() int {
	if len(d.files) == 0 {
		return 0
	}
	f := d.files[len(d.files)-1]
	return f.first + f.n
}

// Read fills vel (Nz·Nx, m/s, row-major [z][x]) and gather (len(Offsets)·Nz·Nx,
// [offset][z][x], depth-weighted and divided by MaxY) with pair i. Either may
// be nil to skip it.
func (d *Dataset) Read(i int, vel, gather []float32) error {
	if i < 0 || i >= d.Len() {
		return fmt.Errorf("cig: pair %d outside 0..%d of %s", i, d.Len()-1, d.dir)
	}
	n := d.meta.Nz * d.meta.Nx
	if vel != nil && len(vel) != n {
		return fmt.Errorf("cig: velocity buffer has %d values, want Nz·Nx = %d", len(vel), n)
	}
	if gather != nil && len(gather) != len(d.meta.Offsets)*n {
		return fmt.Errorf("cig: gather buffer has %d values, want offsets·Nz·Nx = %d", len(gather), len(d.meta.Offsets)*n)
	}
	k := sort.Search(len(d.files), func(k int) bool { return d.files[k].first+d.files[k].n > i })
	f := d.files[k]
	j := i - f.first
	if vel != nil {
		if err := f.vel.ReadSamplesFloat32(vel, j, j+1); err != nil {
			return err
		}
	}
	if gather != nil {
		if err := f.cig.ReadSamplesFloat32(gather, j, j+1); err != nil {
			return err
		}
		for q := range gather {
			gather[q] /= d.meta.MaxY
		}
	}
	return nil
}

// Close closes the files.
func (d *Dataset) Close() error {
	var first error
	for _, f := range d.files {
		for _, h := range []*npy.File{f.vel, f.cig} {
			if h != nil {
				if err := h.Close(); err != nil && first == nil {
					first = err
				}
			}
		}
	}
	d.files = nil
	return first
}
