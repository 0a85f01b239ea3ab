package wise

import (
	"fmt"
	"slices"
)

// DataInfo describes the (velocity, gather) pairs a network is trained on:
// what a trained model needs to know about its data to be used again.
type DataInfo struct {
	// Nz and Nx are the velocity grid (depth rows, lateral columns).
	Nz int `json:"nz"`
	Nx int `json:"nx"`
	// H is the grid spacing in m.
	H float64 `json:"h"`
	// Offsets are the subsurface offsets of the gathers in cells (one
	// channel each; cig.Meta.Offsets).
	Offsets []int `json:"offsets"`
	// MaxY is the normalisation constant the gathers were divided by.
	MaxY float32 `json:"max_y"`
	// Source describes where the data came from (free text).
	Source string `json:"source,omitempty"`
	// Meta is the data set's own metadata (for the cig package, its Meta as
	// JSON), kept so that a trained model can rebuild its survey.
	Meta []byte `json:"meta,omitempty"`
}

// ZeroOffset returns the channel of the zero subsurface offset (the RTM
// image), or an error if the gathers have none.
func (d *DataInfo) ZeroOffset() (int, error) {
	if i := slices.Index(d.Offsets, 0); i >= 0 {
		return i, nil
	}
	return 0, fmt.Errorf("wise: the gathers have no zero offset (offsets %v)", d.Offsets)
}

// Compatible reports whether data described by o can be used with a model
// trained on d: same grid and the same offsets.
func (d *DataInfo) Compatible(o DataInfo) error {
	if d.Nz != o.Nz || d.Nx != o.Nx {
		return fmt.Errorf("grid %d×%d, the model was trained on %d×%d", o.Nz, o.Nx, d.Nz, d.Nx)
	}
	if !slices.Equal(d.Offsets, o.Offsets) {
		return fmt.Errorf("offsets %v (cells), the model was trained on %v", o.Offsets, d.Offsets)
	}
	return nil
}

// Pairs is a readable set of (velocity, common-image gather) pairs; the
// cig package's Dataset is one (see OpenCIG).
type Pairs interface {
	// Info describes every pair.
	Info() DataInfo
	// Len returns the number of pairs.
	Len() int
	// Read fills vel (Nz·Nx, m/s, [z][x]) and gather (len(Offsets)·Nz·Nx,
	// [offset][z][x], normalised) with pair i.
	Read(i int, vel, gather []float32) error
}

// MemPairs holds pairs in memory (tests, small sets, single observations).
type MemPairs struct {
	Inf    DataInfo
	Vel    [][]float32
	Gather [][]float32
}

// Info implements Pairs.
func (m *MemPairs) Info() DataInfo { return m.Inf }

// Len implements Pairs.
func (m *MemPairs) Len() int { return len(m.Vel) }

// Read implements Pairs.
func (m *MemPairs) Read(i int, vel, gather []float32) error {
	if i < 0 || i >= len(m.Vel) {
		return fmt.Errorf("wise: pair %d out of range [0, %d)", i, len(m.Vel))
	}
	if len(vel) != len(m.Vel[i]) || len(gather) != len(m.Gather[i]) {
		return fmt.Errorf("wise: pair %d: buffers of %d and %d values for %d and %d", i, len(vel), len(gather), len(m.Vel[i]), len(m.Gather[i]))
	}
	copy(vel, m.Vel[i])
	copy(gather, m.Gather[i])
	return nil
}

// Subset returns the pairs idx of p (in that order).
func Subset(p Pairs, idx []int) Pairs { return &subset{p, slices.Clone(idx)} }

type subset struct {
	p   Pairs
	idx []int
}

func (s *subset) Info() DataInfo { return s.p.Info() }
func (s *subset) Len() int       { return len(s.idx) }
func (s *subset) Read(i int, vel, gather []float32) error {
	if i < 0 || i >= len(s.idx) {
		return fmt.Errorf("wise: pair %d out of range [0, %d)", i, len(s.idx))
	}
	return s.p.Read(s.idx[i], vel, gather)
}

// RTMOnly returns p with every gather replaced by its zero-offset image
// repeated over all offset channels: the input of WISE's "RTM-only"
// network, which sees exactly what conventional RTM shows while keeping
// the summary network's shape. It returns an error if the gathers have no
// zero offset.
func RTMOnly(p Pairs) (Pairs, error) {
	inf := p.Info()
	k, err := inf.ZeroOffset()
	if err != nil {
		return nil, err
	}
	return &rtmOnly{p: p, k: k}, nil
}

type rtmOnly struct {
	p Pairs
	k int
}

func (r *rtmOnly) Info() DataInfo { return r.p.Info() }
func (r *rtmOnly) Len() int       { return r.p.Len() }
func (r *rtmOnly) Read(i int, vel, gather []float32) error {
	if err := r.p.Read(i, vel, gather); err != nil {
		return err
	}
	RepeatZeroOffset(gather, len(r.p.Info().Offsets), r.k)
	return nil
}

// RepeatZeroOffset overwrites every channel of a gather (nh channels,
// [offset][z][x]) with channel k.
func RepeatZeroOffset(gather []float32, nh, k int) {
	n := len(gather) / nh
	src := gather[k*n : (k+1)*n]
	for h := 0; h < nh; h++ {
		if h != k {
			copy(gather[h*n:(h+1)*n], src)
		}
	}
}

// flipX mirrors c channels of an nz×nx field along x in place.
func flipX(a []float32, c, nz, nx int) {
	for r := 0; r < c*nz; r++ {
		row := a[r*nx : (r+1)*nx]
		slices.Reverse(row)
	}
}

// checkPairs validates a data set against a network configuration.
func checkPairs(what string, p Pairs, cfg *Config) error {
	inf := p.Info()
	if p.Len() == 0 {
		return fmt.Errorf("%s: no pairs", what)
	}
	if inf.Nz < 1 || inf.Nx < 1 || len(inf.Offsets) == 0 {
		return fmt.Errorf("%s: invalid geometry %d×%d with %d offsets", what, inf.Nz, inf.Nx, len(inf.Offsets))
	}
	if n := cfg.Network.Summary.InChannels; n != len(inf.Offsets) {
		return fmt.Errorf("%s: gathers have %d offsets, the summary network of config %q takes %d (set network.summary.in_channels)", what, len(inf.Offsets), cfg.Name, n)
	}
	f := max(1<<cfg.Network.Flow.Levels, 1<<(cfg.Network.Summary.Depth-1))
	if inf.Nz%f != 0 || inf.Nx%f != 0 {
		return fmt.Errorf("%s: grid %d×%d is not a multiple of %d (flow levels / UNet depth)", what, inf.Nz, inf.Nx, f)
	}
	return nil
}

// Rescaled returns p with its gathers renormalised from p's MaxY to maxY
// (multiplied by Info().MaxY/maxY), so that data normalised with another
// constant match a model's training data; p itself if the constants agree
// or either is unknown. Info().MaxY of the result is maxY.
func Rescaled(p Pairs, maxY float32) Pairs {
	s := gatherRescale(maxY, p.Info().MaxY)
	if s == 1 {
		return p
	}
	return &rescaled{p: p, s: s, maxY: maxY}
}

type rescaled struct {
	p    Pairs
	s    float32
	maxY float32
}

func (r *rescaled) Info() DataInfo {
	inf := r.p.Info()
	inf.MaxY = r.maxY
	return inf
}
func (r *rescaled) Len() int { return r.p.Len() }
func (r *rescaled) Read(i int, vel, gather []float32) error {
	if err := r.p.Read(i, vel, gather); err != nil {
		return err
	}
	for k := range gather {
		gather[k] *= r.s
	}
	return nil
}
