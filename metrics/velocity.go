package metrics

import "math"

// OpenFWI label normalisation bounds in m/s (dataset_config.json label_min/label_max).
const (
	VMin = 1500.0 // m/s, mapped to −1
	VMax = 4500.0 // m/s, mapped to +1
)

// Normalize returns v' = 2·(v − VMin)/(VMax − VMin) − 1, the OpenFWI label
// scale in which 1500…4500 m/s becomes [−1, 1]. v is in m/s.
func Normalize(v float64) float64 { return 2*(v-VMin)/(VMax-VMin) - 1 }

// Denormalize is the inverse of Normalize: it returns the velocity in m/s.
func Denormalize(vn float64) float64 { return (vn+1)/2*(VMax-VMin) + VMin }

// NormalizeTo writes Normalize(v[i]) into dst[i] and returns dst. It does not
// allocate. It panics if the lengths differ.
func NormalizeTo(dst []float64, v []float32) []float64 {
	if len(dst) != len(v) {
		panic(errLength)
	}
	for i, x := range v {
		dst[i] = Normalize(float64(x))
	}
	return dst
}

// Scores are the OpenFWI metrics of one predicted map (or the aggregate of a
// set, see Summary). MAE and RMSE are on the normalised [−1, 1] scale unless
// the producing function says m/s; SSIM is dimensionless (1 = identical).
type Scores struct {
	MAE  float64 `json:"mae"`
	MSE  float64 `json:"mse"`
	RMSE float64 `json:"rmse"`
	SSIM float64 `json:"ssim"`
}

// Velocity compares a predicted velocity map with the true one, both in m/s
// with nz·nx row-major values, and returns MAE, MSE, RMSE on the normalised
// scale and SSIM on v'/2+0.5 — the numbers of OpenFWI's test.py. It allocates
// O(nz·nx) scratch. It panics if the lengths differ from nz·nx.
func Velocity(truth, pred []float32, nz, nx int) Scores {
	checkShape(truth, pred, nz, nx)
	a := make([]float64, len(truth))
	b := make([]float64, len(pred))
	for i := range truth {
		a[i] = Normalize(float64(truth[i]))/2 + 0.5
		b[i] = Normalize(float64(pred[i]))/2 + 0.5
	}
	// On the [0,1] scale the differences are half those on [−1,1].
	mae, mse := maeMSE(a, b)
	s := Scores{MAE: 2 * mae, MSE: 4 * mse}
	s.RMSE = math.Sqrt(s.MSE)
	s.SSIM = SSIM(a, b, nz, nx)
	return s
}

// VelocityMS is Velocity with MAE, MSE and RMSE in m/s (m²/s² for MSE), the
// "Velocity MAE/MSE" that OpenFWI's test.py also prints. SSIM is the same as
// in Velocity. It allocates O(nz·nx) scratch.
func VelocityMS(truth, pred []float32, nz, nx int) Scores {
	s := Velocity(truth, pred, nz, nx)
	const h = (VMax - VMin) / 2 // m/s per normalised unit
	s.MAE *= h
	s.MSE *= h * h
	s.RMSE *= h
	return s
}

// MAE returns mean |a[i] − b[i]| in the units of the inputs. It panics if the
// lengths differ or are zero.
func MAE(a, b []float64) float64 { m, _ := maeMSE(a, b); return m }

// MSE returns mean (a[i] − b[i])² in the squared units of the inputs. It
// panics if the lengths differ or are zero.
func MSE(a, b []float64) float64 { _, m := maeMSE(a, b); return m }

// RMSE returns √MSE(a, b).
func RMSE(a, b []float64) float64 { return math.Sqrt(MSE(a, b)) }

func maeMSE(a, b []float64) (mae, mse float64) {
	if len(a) != len(b) {
		panic(errLength)
	}
	if len(a) == 0 {
		panic(errEmpty)
	}
	for i := range a {
		d := a[i] - b[i]
		mae += math.Abs(d)
		mse += d * d
	}
	n := float64(len(a))
	return mae / n, mse / n
}

// Summary accumulates per-map Scores of equally sized maps and reports the
// OpenFWI set aggregate: mean MAE, mean MSE, RMSE = √(mean MSE), mean SSIM.
// The zero value is an empty summary ready to use.
type Summary struct {
	n              int
	mae, mse, ssim float64
	rmseMean       float64
}

// Add records the scores of one map.
func (s *Summary) Add(x Scores) {
	s.n++
	s.mae += x.MAE
	s.mse += x.MSE
	s.ssim += x.SSIM
	s.rmseMean += x.RMSE
}

// N returns the number of maps added.
func (s *Summary) N() int { return s.n }

// Mean returns the set aggregate. RMSE is √(mean MSE) as in OpenFWI's tables.
// It returns zero Scores if nothing was added.
func (s *Summary) Mean() Scores {
	if s.n == 0 {
		return Scores{}
	}
	n := float64(s.n)
	out := Scores{MAE: s.mae / n, MSE: s.mse / n, SSIM: s.ssim / n}
	out.RMSE = math.Sqrt(out.MSE)
	return out
}

// MeanRMSE returns the mean of the per-map RMSEs (≤ Mean().RMSE by Jensen's
// inequality), for tables that average RMSE map by map.
func (s *Summary) MeanRMSE() float64 {
	if s.n == 0 {
		return 0
	}
	return s.rmseMean / float64(s.n)
}

func checkShape(a, b []float32, nz, nx int) {
	if nz <= 0 || nx <= 0 {
		panic(errEmpty)
	}
	if len(a) != nz*nx || len(b) != nz*nx {
		panic(errLength)
	}
}

const (
	errLength = "metrics: slice lengths do not match the map shape"
	errEmpty  = "metrics: empty input"
)
