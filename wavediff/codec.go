package wavediff

import (
	"fmt"
	"math"

	"genfwi/openfwi"
)

// Model-resolution geometry (genfwi's choice; the paper does not give it): velocity 1×64×64,
// seismic 5×256×64 (shots × time × receivers).
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

// Codec converts between the OpenFWI layout (velocity 70×70 m/s, seismic
// 5×1000×70 physical amplitudes) and model resolution (normalised, 64×64 and
// 5×256×64). Its methods write dst, do not allocate except for one scratch
// buffer in the seismic conversions, and are safe for concurrent use.
type Codec struct {
	// Norm holds the min–max constants (data_min/max, 1500/4500 m/s).
	Norm openfwi.Norm
}

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
	return Codec{Norm: n}, nil
}

// VelocityToModel maps one 70×70 map in m/s to the normalised 64×64 model
// input: v' = 2(v−LabelMin)/(LabelMax−LabelMin) − 1, then bilinear resize.
// dst has VelLen elements, src FullVel.
func (c Codec) VelocityToModel(dst, src []float32) {
	var tmp [FullVel]float32
	c.Norm.Label(tmp[:], src)
	openfwi.ResizeBilinear(dst, VelH, VelW, tmp[:], openfwi.NZ, openfwi.NX)
}

// VelocityFromModel maps a normalised 64×64 map back to 70×70 m/s: bilinear
// resize, then the inverse of the label normalisation (no clipping).
func (c Codec) VelocityFromModel(dst, src []float32) {
	openfwi.ResizeBilinear(dst, openfwi.NZ, openfwi.NX, src, VelH, VelW)
	c.Norm.LabelInverse(dst, dst)
}

// SeismicToModel maps one raw 5×1000×70 sample to the normalised 5×256×64
// model input: OpenFWI's log-min-max normalisation, then a bilinear resize
// of each shot gather. dst has SeisLen elements, src FullSeis.
func (c Codec) SeismicToModel(dst, src []float32) {
	tmp := make([]float32, FullSeis)
	c.Norm.Data(tmp, src)
	c.SeismicNormToModel(dst, tmp)
}

// SeismicNormToModel resizes an already normalised 5×1000×70 sample to
// 5×256×64.
func (c Codec) SeismicNormToModel(dst, src []float32) {
	for s := 0; s < Shots; s++ {
		openfwi.ResizeBilinear(dst[s*SeisT*SeisR:(s+1)*SeisT*SeisR], SeisT, SeisR,
			src[s*openfwi.NT*openfwi.Receivers:(s+1)*openfwi.NT*openfwi.Receivers], openfwi.NT, openfwi.Receivers)
	}
}

// SeismicFromModel maps a normalised 5×256×64 sample back to raw amplitudes
// at 5×1000×70: bilinear resize of each shot, then the exact inverse of the
// log-min-max normalisation.
func (c Codec) SeismicFromModel(dst, src []float32) {
	c.SeismicNormFromModel(dst, src)
	c.Norm.DataInverse(dst, dst)
}

// SeismicNormFromModel resizes a normalised 5×256×64 sample to a normalised
// 5×1000×70 one (no de-normalisation).
func (c Codec) SeismicNormFromModel(dst, src []float32) {
	for s := 0; s < Shots; s++ {
		openfwi.ResizeBilinear(dst[s*openfwi.NT*openfwi.Receivers:(s+1)*openfwi.NT*openfwi.Receivers], openfwi.NT, openfwi.Receivers,
			src[s*SeisT*SeisR:(s+1)*SeisT*SeisR], SeisT, SeisR)
	}
}
