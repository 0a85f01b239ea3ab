package metrics

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Gaussian is the mean and covariance of a set of feature vectors, the
// summary compared by FrechetDistance.
type Gaussian struct {
	Mu    []float64     // mean, length d
	Sigma *mat.SymDense // covariance, d×d (unbiased, 1/(n−1))
}

// FitGaussian returns the mean and the unbiased covariance of the rows of x
// (n samples × d features). It allocates. It returns an error if x has fewer
// than two rows, since the covariance is then undefined.
func FitGaussian(x mat.Matrix) (Gaussian, error) {
	n, d := x.Dims()
	if n < 2 {
		return Gaussian{}, fmt.Errorf("metrics: need at least 2 samples to fit a covariance, got %d", n)
	}
	mu := make([]float64, d)
	col := make([]float64, n)
	for j := 0; j < d; j++ {
		mat.Col(col, j, x)
		mu[j] = stat.Mean(col, nil)
	}
	sigma := mat.NewSymDense(d, nil)
	stat.CovarianceMatrix(sigma, x, nil)
	return Gaussian{Mu: mu, Sigma: sigma}, nil
}

// ErrNotPSD reports a covariance with a clearly negative eigenvalue (below
// −1e-9 times the largest one), i.e. not a covariance matrix.
var ErrNotPSD = errors.New("metrics: covariance is not positive semi-definite")

// FrechetDistance returns the Fréchet (2-Wasserstein²) distance between two
// Gaussians N(μ1, Σ1) and N(μ2, Σ2):
//
//	FD = ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2·(Σ1^½ Σ2 Σ1^½)^½)
//
// The matrix square roots use symmetric eigendecompositions (gonum
// mat.EigenSym); eigenvalues that round-off makes slightly negative are set
// to zero. This is the FID formula; on features of a fixed genfwi network it
// is reported as "FD-proxy". The result is in squared feature units and ≥ 0
// up to round-off (tiny negative values are clamped to 0). It allocates
// O(d²). Dimension mismatches panic; a failed decomposition or a clearly
// indefinite covariance returns an error.
func FrechetDistance(g1, g2 Gaussian) (float64, error) {
	d := len(g1.Mu)
	if len(g2.Mu) != d || g1.Sigma.SymmetricDim() != d || g2.Sigma.SymmetricDim() != d {
		panic("metrics: Gaussian dimensions do not match")
	}
	dm := 0.0
	for i := range g1.Mu {
		t := g1.Mu[i] - g2.Mu[i]
		dm += t * t
	}
	s1h, err := symSqrt(g1.Sigma)
	if err != nil {
		return 0, fmt.Errorf("square root of Σ1: %w", err)
	}
	var t mat.Dense
	t.Mul(s1h, g2.Sigma)
	t.Mul(&t, s1h)
	// Symmetrise away round-off before the symmetric decomposition.
	m := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			m.SetSym(i, j, 0.5*(t.At(i, j)+t.At(j, i)))
		}
	}
	ev, err := eigvals(m)
	if err != nil {
		return 0, fmt.Errorf("eigenvalues of Σ1^½Σ2Σ1^½: %w", err)
	}
	trSqrt := 0.0
	for _, l := range ev {
		trSqrt += math.Sqrt(math.Max(l, 0))
	}
	fd := dm + mat.Trace(g1.Sigma) + mat.Trace(g2.Sigma) - 2*trSqrt
	return math.Max(fd, 0), nil
}

// symSqrt returns the symmetric PSD square root V·diag(√λ)·Vᵀ of s.
func symSqrt(s *mat.SymDense) (*mat.Dense, error) {
	var e mat.EigenSym
	if !e.Factorize(s, true) {
		return nil, errors.New("metrics: symmetric eigendecomposition failed")
	}
	lam := e.Values(nil)
	if err := checkPSD(lam); err != nil {
		return nil, err
	}
	var v mat.Dense
	e.VectorsTo(&v)
	d := len(lam)
	vs := mat.NewDense(d, d, nil)
	for j, l := range lam {
		r := math.Sqrt(math.Max(l, 0))
		for i := 0; i < d; i++ {
			vs.Set(i, j, v.At(i, j)*r)
		}
	}
	out := mat.NewDense(d, d, nil)
	out.Mul(vs, v.T())
	return out, nil
}

func eigvals(s *mat.SymDense) ([]float64, error) {
	var e mat.EigenSym
	if !e.Factorize(s, false) {
		return nil, errors.New("metrics: symmetric eigendecomposition failed")
	}
	lam := e.Values(nil)
	return lam, checkPSD(lam)
}

func checkPSD(lam []float64) error {
	top := 0.0
	for _, l := range lam {
		top = math.Max(top, math.Abs(l))
	}
	for i, l := range lam {
		if l < -1e-9*top {
			return fmt.Errorf("%w: eigenvalue %d is %g", ErrNotPSD, i, l)
		}
	}
	return nil
}
