package wavediff

import (
	"fmt"
	"math"

	"genfwi/openfwi"
)

// The resized64 geometry (the paper's pipeline at CPU scale; genfwi's
// choice of sizes, the paper does not give them): velocity 1×64×64,
// seismic 5×256×64 (shots × time × receivers). Geometry generalises it.
const (
	VelH     = 64
	VelW     = 64
	VelLen   = VelH * VelW
	SeisT    = 256
	SeisR    = 64
	SeisLen  = openfwi.Shots * SeisT * SeisR
	Shots    = openfwi.Shots
	FullVel  = openfwi.ModelLen // 70·70
	FullSeis = openfwi.DataLen  // 5·1000·70
)

// Geometry is the model resolution of a pipeline and how OpenFWI samples
// are resampled to it. The zero value is Resized64.
type Geometry struct {
	// Name is "resized64" or "native70" (GeometryNamed).
	Name string `json:"name"`
	// VelH×VelW is the velocity map, SeisT×SeisR one shot gather.
	VelH, VelW, SeisT, SeisR int
	// Cubic resamples seismic in physical amplitudes with
	// openfwi.ResizeCubic and normalises afterwards; otherwise the sample is
	// normalised first and resized bilinearly (PyTorch's F.interpolate, as
	// the paper's pipeline). Raw gathers are band-limited in time, their
	// log-normalised version is not: the 1000 → 256 → 1000 round trip costs
	// relative L2 0.0013 raw-cubic against 0.038 normalised-bilinear.
	Cubic bool
}

// Resized64 is the geometry of the paper's pipeline: velocity 70×70 → 64×64
// and seismic 1000×70 → 256×64 per shot, bilinear, on normalised values.
// Its round trip costs real gathers a relative L2 of ≈ 0.16 (receiver axis
// 0.14) and halves the sharpest velocity interfaces.
func Resized64() Geometry {
	return Geometry{Name: "resized64", VelH: 64, VelW: 64, SeisT: 256, SeisR: 64}
}

// Native70 keeps OpenFWI's 70×70 velocity grid and its 70 receivers and
// resamples only the seismic time axis (1000 → 256, cubic, raw amplitudes):
// a round trip costs relative L2 0.0013. The autoencoder's branches map
// 70 to their 64-wide grids by learned input/output layers
// (vqae.BranchConfig.InputSize).
func Native70() Geometry {
	return Geometry{Name: "native70", VelH: openfwi.NZ, VelW: openfwi.NX, SeisT: 256, SeisR: openfwi.Receivers, Cubic: true}
}

// GeometryNamed returns the geometry called name ("" is resized64).
func GeometryNamed(name string) (Geometry, error) {
	switch name {
	case "", "resized64":
		return Resized64(), nil
	case "native70":
		return Native70(), nil
	}
	return Geometry{}, fmt.Errorf("wavediff: unknown geometry %q (resized64 or native70)", name)
}

// or returns g, or Resized64 for the zero value.
func (g Geometry) or() Geometry {
	if g.VelH == 0 {
		return Resized64()
	}
	return g
}

// VelLen is the number of values of one model-resolution velocity map.
func (g Geometry) VelLen() int { g = g.or(); return g.VelH * g.VelW }

// SeisLen is the number of values of one model-resolution seismic sample.
func (g Geometry) SeisLen() int { g = g.or(); return Shots * g.SeisT * g.SeisR }

// VelShape returns the per-sample velocity shape [1, H, W].
func (g Geometry) VelShape() []int { g = g.or(); return []int{1, g.VelH, g.VelW} }

// SeisShape returns the per-sample seismic shape [shots, T, receivers].
func (g Geometry) SeisShape() []int { g = g.or(); return []int{Shots, g.SeisT, g.SeisR} }

// Codec converts between the OpenFWI layout (velocity 70×70 m/s, seismic
// 5×1000×70 physical amplitudes) and model resolution (normalised, sizes of
// Geom). Its methods write dst, do not allocate except for scratch buffers
// in the seismic conversions, and are safe for concurrent use.
type Codec struct {
	// Norm holds the min–max constants (data_min/max, 1500/4500 m/s).
	Norm openfwi.Norm
	// Geom is the model resolution; the zero value means Resized64.
	Geom Geometry
}

// G returns the codec's geometry (Resized64 when Geom is unset).
func (c Codec) G() Geometry { return c.Geom.or() }

// VelLen is G().VelLen().
func (c Codec) VelLen() int { return c.G().VelLen() }

// SeisLen is G().SeisLen().
func (c Codec) SeisLen() int { return c.G().SeisLen() }

// CodecFor returns the codec of a training set mixing the named datasets: the
// velocity constants are OpenFWI's (1500, 4500 m/s) and the seismic constants
// the widest data_min/data_max of the datasets, so every dataset's amplitudes
// stay within [−1, 1].
func CodecFor(datasets ...string) (Codec, error) {
	if len(datasets) == 0 {
		return Codec{}, fmt.Errorf("wavediff: no dataset named for the normalisation")
	}
	n := openfwi.Norm{DataMin: math.Inf(1), DataMax: math.Inf(-1)}
	for _, name := range datasets {
		d, err := openfwi.Lookup(name)
		if err != nil {
			return Codec{}, err
		}
		n.DataMin = math.Min(n.DataMin, d.Norm.DataMin)
		n.DataMax = math.Max(n.DataMax, d.Norm.DataMax)
		n.LabelMin, n.LabelMax = d.Norm.LabelMin, d.Norm.LabelMax
	}
	return Codec{Norm: n, Geom: Resized64()}, nil
}

// VelocityToModel maps one 70×70 map in m/s to the normalised model input:
// v' = 2(v−LabelMin)/(LabelMax−LabelMin) − 1, then (resized64) a bilinear
// resize to 64×64. dst has VelLen() elements, src FullVel.
func (c Codec) VelocityToModel(dst, src []float32) {
	var tmp [FullVel]float32
	c.Norm.Label(tmp[:], src)
	c.VelocityNormToModel(dst, tmp[:])
}

// VelocityFromModel maps a normalised model-resolution map back to 70×70
// m/s: resize (resized64), then the inverse of the label normalisation (no
// clipping).
func (c Codec) VelocityFromModel(dst, src []float32) {
	g := c.G()
	if g.VelH == openfwi.NZ && g.VelW == openfwi.NX {
		c.Norm.LabelInverse(dst, src)
		return
	}
	openfwi.ResizeBilinear(dst, openfwi.NZ, openfwi.NX, src, g.VelH, g.VelW)
	c.Norm.LabelInverse(dst, dst)
}

// VelocityNormToModel resizes an already normalised 70×70 map to model
// resolution.
func (c Codec) VelocityNormToModel(dst, src []float32) {
	g := c.G()
	if g.VelH == openfwi.NZ && g.VelW == openfwi.NX {
		copy(dst, src)
		return
	}
	openfwi.ResizeBilinear(dst, g.VelH, g.VelW, src, openfwi.NZ, openfwi.NX)
}

// SeismicToModel maps one raw 5×1000×70 sample to the normalised model
// input (SeisLen() values): resized64 normalises (OpenFWI's log-min-max)
// and then resizes each shot bilinearly; native70 resamples each shot's
// raw amplitudes in time (cubic) and then normalises.
func (c Codec) SeismicToModel(dst, src []float32) {
	g := c.G()
	if g.Cubic {
		c.resizeShots(dst, g.SeisT, g.SeisR, src, openfwi.NT, openfwi.Receivers)
		c.Norm.Data(dst, dst)
		return
	}
	tmp := make([]float32, FullSeis)
	c.Norm.Data(tmp, src)
	c.SeismicNormToModel(dst, tmp)
}

// SeismicNormToModel maps an already normalised 5×1000×70 sample to model
// resolution (for native70 through the raw amplitudes, as SeismicToModel).
func (c Codec) SeismicNormToModel(dst, src []float32) {
	g := c.G()
	if g.Cubic {
		raw := make([]float32, FullSeis)
		c.Norm.DataInverse(raw, src)
		c.SeismicToModel(dst, raw)
		return
	}
	c.resizeShots(dst, g.SeisT, g.SeisR, src, openfwi.NT, openfwi.Receivers)
}

// SeismicFromModel maps a normalised model-resolution sample back to raw
// amplitudes at 5×1000×70: the inverse of SeismicToModel's steps in reverse
// order (the de-normalisation is exact; the resampling is not).
func (c Codec) SeismicFromModel(dst, src []float32) {
	g := c.G()
	if g.Cubic {
		raw := make([]float32, len(src))
		c.Norm.DataInverse(raw, src)
		c.resizeShots(dst, openfwi.NT, openfwi.Receivers, raw, g.SeisT, g.SeisR)
		return
	}
	c.SeismicNormFromModel(dst, src)
	c.Norm.DataInverse(dst, dst)
}

// SeismicNormFromModel maps a normalised model-resolution sample to a
// normalised 5×1000×70 one.
func (c Codec) SeismicNormFromModel(dst, src []float32) {
	g := c.G()
	if g.Cubic {
		c.SeismicFromModel(dst, src)
		c.Norm.Data(dst, dst)
		return
	}
	c.resizeShots(dst, openfwi.NT, openfwi.Receivers, src, g.SeisT, g.SeisR)
}

// resizeShots resizes each of the Shots gathers of src (sh×sw) to dst
// (dh×dw) with the geometry's resampling.
func (c Codec) resizeShots(dst []float32, dh, dw int, src []float32, sh, sw int) {
	resize := openfwi.ResizeBilinear
	if c.G().Cubic {
		resize = openfwi.ResizeCubic
	}
	for s := 0; s < Shots; s++ {
		resize(dst[s*dh*dw:(s+1)*dh*dw], dh, dw, src[s*sh*sw:(s+1)*sh*sw], sh, sw)
	}
}
