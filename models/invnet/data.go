package invnet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"genfwi/npy"
	"genfwi/openfwi"
)

// Pairs is a set of (velocity, seismic) training pairs in the OpenFWI
// layout.
type Pairs interface {
	// Len is the number of pairs.
	Len() int
	// Read writes pair i: vel gets the 70×70 map in m/s (4 900 values),
	// seis the raw 5×1000×70 seismic (350 000 values). It is safe for
	// concurrent use.
	Read(i int, vel, seis []float32) error
	// Datasets names the OpenFWI datasets the pairs come from (for the
	// normalisation constants); empty when unknown.
	Datasets() []string
	// Describe identifies the pairs (paths and counts) for the run's
	// metadata: a run directory is only resumed on the same pairs.
	Describe() string
}

// part is one velocity/seismic file pair: maps in memory, seismic read
// on demand.
type part struct {
	vel  []float32
	seis *npy.File
	n    int
}

// filePairs are pairs read from OpenFWI-layout .npy files, possibly
// restricted to a selection of indices.
type filePairs struct {
	parts    []part
	idx      [][2]int // pair → (part, index in part)
	datasets []string
	desc     string
}

func (p *filePairs) Len() int           { return len(p.idx) }
func (p *filePairs) Datasets() []string { return p.datasets }
func (p *filePairs) Describe() string   { return p.desc }

func (p *filePairs) Read(i int, vel, seis []float32) error {
	if i < 0 || i >= len(p.idx) {
		return fmt.Errorf("invnet: pair %d out of range [0, %d)", i, len(p.idx))
	}
	pt, j := p.parts[p.idx[i][0]], p.idx[i][1]
	copy(vel, pt.vel[j*openfwi.ModelLen:(j+1)*openfwi.ModelLen])
	return pt.seis.ReadSamplesFloat32(seis, j, j+1)
}

// Close closes the seismic files.
func (p *filePairs) Close() error {
	var first error
	for _, pt := range p.parts {
		if err := pt.seis.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// addFiles appends a velocity file and its seismic file, checking shapes
// and counts.
func (p *filePairs) addFiles(velPath, seisPath string) error {
	vel, n, err := openfwi.ReadModels(velPath)
	if err != nil {
		return err
	}
	f, err := openfwi.OpenData(seisPath)
	if err != nil {
		return err
	}
	if m := f.Shape()[0]; m != n {
		f.Close()
		return fmt.Errorf("invnet: %s holds %d maps but %s %d seismic samples", velPath, n, seisPath, m)
	}
	if n == 0 {
		f.Close()
		return fmt.Errorf("invnet: %s: no samples (empty array)", velPath)
	}
	for j := 0; j < n; j++ {
		p.idx = append(p.idx, [2]int{len(p.parts), j})
	}
	p.parts = append(p.parts, part{vel: vel, seis: f, n: n})
	return nil
}

// OpenPairs opens the training pairs named by spec, a comma-separated list
// of sources, each PATH or PATH:N:
//
//   - a directory holding velocity.npy [N,1,70,70] and seismic.npy
//     [N,5,1000,70] ("genfwi sample" output, generated pairs);
//   - an OpenFWI dataset directory (CurveVel_A/ with model/ and data/, or
//     vel*/seis* files, e.g. built by "genfwi dataset build"): only the
//     files of its TRAINING split are read, test files never;
//   - a directory holding such dataset directories (a build's --out): all
//     of them.
//
// ":N" takes N pairs of that source spread evenly over it (pair ⌊i·n/N⌋ for
// i < N), e.g. 50 real pairs for the "1 %" regimes. The returned Pairs
// must be closed.
func OpenPairs(spec string) (*PairSet, error) {
	var srcs []*filePairs
	closeAll := func() {
		for _, s := range srcs {
			s.Close()
		}
	}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		path, k := item, 0
		if i := strings.LastIndexByte(item, ':'); i > 0 {
			if v, err := strconv.Atoi(item[i+1:]); err == nil {
				if v < 1 {
					closeAll()
					return nil, fmt.Errorf("invnet: %s: the count after ':' must be ≥ 1", item)
				}
				path, k = item[:i], v
			}
		}
		fp, err := openSource(path)
		if err != nil {
			closeAll()
			return nil, err
		}
		srcs = append(srcs, fp)
		if k > 0 {
			n := len(fp.idx)
			if k > n {
				closeAll()
				return nil, fmt.Errorf("invnet: %s: asked for %d pairs, the source has %d", path, k, n)
			}
			sel := make([][2]int, k)
			for i := range sel {
				sel[i] = fp.idx[i*n/k]
			}
			fp.idx = sel
			fp.desc = fmt.Sprintf("%s:%d of %d", fp.desc, k, n)
		}
	}
	if len(srcs) == 0 {
		return nil, errors.New("invnet: no training data named")
	}
	return &PairSet{srcs: srcs}, nil
}

// openSource opens one source directory (see OpenPairs).
func openSource(path string) (*filePairs, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("invnet: data %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("invnet: data %s is not a directory (want a dataset directory or one with velocity.npy and seismic.npy)", path)
	}
	p := &filePairs{}
	vp, sp := filepath.Join(path, "velocity.npy"), filepath.Join(path, "seismic.npy")
	if fileExists(vp) && fileExists(sp) {
		if err := p.addFiles(vp, sp); err != nil {
			return nil, err
		}
		p.desc = fmt.Sprintf("%s (%d pairs)", filepath.Clean(path), len(p.idx))
		return p, nil
	}
	// One dataset directory, or a root holding several.
	dirs := []string{path}
	if _, err := openfwi.Lookup(filepath.Base(filepath.Clean(path))); err != nil {
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("invnet: data %w", err)
		}
		dirs = dirs[:0]
		for _, e := range ents {
			if _, err := openfwi.Lookup(e.Name()); err == nil && e.IsDir() {
				dirs = append(dirs, filepath.Join(path, e.Name()))
			}
		}
		sort.Strings(dirs)
		if len(dirs) == 0 {
			return nil, fmt.Errorf("invnet: data %s: no velocity.npy + seismic.npy and no OpenFWI dataset directory (FlatVel_A, CurveVel_A, ...) in it", path)
		}
	}
	var descs []string
	for _, dir := range dirs {
		d, _ := openfwi.Lookup(filepath.Base(dir))
		c, err := openfwi.OpenCollection(dir, d, 0)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("invnet: data %w", err)
		}
		before := len(p.idx)
		for _, f := range c.Train() {
			if !f.HasModel || !f.HasData {
				continue
			}
			if err := p.addFiles(c.Path(f.Model), c.Path(f.Data)); err != nil {
				p.Close()
				return nil, err
			}
		}
		if len(p.idx) == before {
			p.Close()
			return nil, fmt.Errorf("invnet: data %s: no training file with both velocity and seismic (test files are never used for training)", dir)
		}
		p.datasets = append(p.datasets, d.Name)
		descs = append(descs, fmt.Sprintf("%s (%s, %d training pairs)", filepath.Clean(dir), d.Name, len(p.idx)-before))
	}
	p.desc = strings.Join(descs, "; ")
	return p, nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// PairSet is the concatenation of the sources of OpenPairs.
type PairSet struct {
	srcs []*filePairs
}

// Len is the total number of pairs.
func (s *PairSet) Len() int {
	n := 0
	for _, p := range s.srcs {
		n += p.Len()
	}
	return n
}

// Read reads pair i of the concatenation (see Pairs).
func (s *PairSet) Read(i int, vel, seis []float32) error {
	for _, p := range s.srcs {
		if i < p.Len() {
			return p.Read(i, vel, seis)
		}
		i -= p.Len()
	}
	return fmt.Errorf("invnet: pair index out of range (%d pairs)", s.Len())
}

// Datasets lists the datasets of all sources that know theirs.
func (s *PairSet) Datasets() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range s.srcs {
		for _, d := range p.datasets {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	return out
}

// Describe lists the sources.
func (s *PairSet) Describe() string {
	var d []string
	for _, p := range s.srcs {
		d = append(d, p.desc)
	}
	return strings.Join(d, " + ")
}

// Close closes every file.
func (s *PairSet) Close() error {
	var first error
	for _, p := range s.srcs {
		if err := p.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// subset is a view of some pairs of another set.
type subset struct {
	Pairs
	idx []int
}

func (s subset) Len() int { return len(s.idx) }
func (s subset) Read(i int, vel, seis []float32) error {
	if i < 0 || i >= len(s.idx) {
		return fmt.Errorf("invnet: pair %d out of range [0, %d)", i, len(s.idx))
	}
	return s.Pairs.Read(s.idx[i], vel, seis)
}

// HoldOut splits p into training and validation pairs: k = ⌈f·n⌉ pairs
// spread evenly (⌊(i+½)·n/k⌋ for i < k) are held out. f = 0 holds out none
// (val is nil).
func HoldOut(p Pairs, f float64) (train, val Pairs, err error) {
	n := p.Len()
	if f <= 0 {
		return p, nil, nil
	}
	k := int(float64(n)*f + 0.999999)
	if k >= n {
		return nil, nil, fmt.Errorf("invnet: val_fraction %g leaves no training pairs out of %d", f, n)
	}
	held := make(map[int]bool, k)
	var vi, ti []int
	for i := 0; i < k; i++ {
		j := int((float64(i) + 0.5) * float64(n) / float64(k))
		held[j] = true
		vi = append(vi, j)
	}
	for i := 0; i < n; i++ {
		if !held[i] {
			ti = append(ti, i)
		}
	}
	return subset{p, ti}, subset{p, vi}, nil
}

// errNotExist tells whether err means a missing file.
func errNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
