package vqae

import (
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/tensor"
)

// branchDirectional returns, for every parameter tensor of an encoder →
// decoder chain (no quantiser) built from c, the reverse-mode directional
// derivative ⟨∂J/∂θ_p, d_p⟩ and its central difference, for J = Σ r·D(E(x))
// with a fixed random cotangent r and a unit random direction d_p confined
// to parameter p. The reverse-mode gradient of parameter wrong is scaled by
// scale (wrong = −1: none), so that a test can check the comparison
// rejects a wrong gradient.
func branchDirectional(t *testing.T, c BranchConfig, wrong int, scale float64) (names []string, ad, fd []float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	enc, dec := NewEncoder("enc", rng, c), NewDecoder("dec", rng, c)
	params := append(enc.Params(), dec.Params()...)
	for _, p := range params { // move off the initialisation (zero biases)
		for i := range p.Value().Data {
			p.Value().Data[i] += float32(0.05 * rng.NormFloat64())
		}
	}
	x := tensor.Randn(rng, 1, 2, c.InChannels, c.Resolution[0], c.Resolution[1])
	fc := fwdCtx{}
	tp := autograd.NewTape()
	var leaves []*autograd.Var
	for _, p := range params {
		leaves = append(leaves, p.V)
	}
	out := dec.forward(fc, enc.forward(fc, tp.Input(x)))
	r := tensor.Randn(rng, 1, out.Value.Shape...)
	for _, p := range params {
		if p.V.Grad != nil {
			p.V.Grad.Zero()
		}
	}
	autograd.BackwardWith(out, r)
	J := func() float64 {
		tp := autograd.NewTape()
		tp.NoGrad = true
		o := dec.forward(fc, enc.forward(fc, tp.Input(x)))
		s := 0.0
		for i, v := range o.Value.Data {
			s += float64(v) * float64(r.Data[i])
		}
		return s
	}
	const eps = 1e-2
	for pi, p := range params {
		w := p.Value().Data
		var g []float32
		if p.V.Grad != nil {
			g = p.V.Grad.Data
		}
		d := make([]float64, len(w))
		norm := 0.0
		for i := range d {
			d[i] = rng.NormFloat64()
			norm += d[i] * d[i]
		}
		a := 0.0
		for i := range d {
			d[i] /= math.Sqrt(norm)
			if g != nil {
				gi := float64(g[i])
				if pi == wrong {
					gi *= scale
				}
				a += gi * d[i]
			}
		}
		orig := append([]float32(nil), w...)
		for i := range w {
			w[i] = orig[i] + float32(eps*d[i])
		}
		jp := J()
		for i := range w {
			w[i] = orig[i] - float32(eps*d[i])
		}
		jm := J()
		copy(w, orig)
		names = append(names, p.Name)
		ad = append(ad, a)
		fd = append(fd, (jp-jm)/(2*eps))
	}
	_ = leaves
	return names, ad, fd
}

// TestSeismicBranchParamGradCheck checks the gradient of every parameter of
// an encoder → decoder chain with the seismic branch's layout (two
// time-only (2,1) downsamplings, then isotropic ones, attention at the
// coarsest level, output bias and latent position embedding) against
// central differences, and that a 10 % error is rejected.
func TestSeismicBranchParamGradCheck(t *testing.T) {
	c := BranchConfig{InChannels: 2, Resolution: [2]int{32, 8}, Ch: 4, ChMult: []int{1, 2, 2, 2},
		Down: [][2]int{{2, 1}, {2, 1}, {2, 2}}, NumResBlocks: 1, AttnResolutions: []int{4}, ZChannels: 3,
		NormGroups: 2, OutputBias: true, PosEmbed: true}
	mismatch := func(a, f float64) bool { return math.Abs(a-f) > 2e-3+3e-2*math.Max(math.Abs(a), math.Abs(f)) }
	names, ad, fd := branchDirectional(t, c, -1, 1)
	bad := 0
	for i := range names {
		if mismatch(ad[i], fd[i]) {
			bad++
			t.Errorf("%s: reverse mode %.6g, central difference %.6g", names[i], ad[i], fd[i])
		}
	}
	t.Logf("%d parameter tensors checked, %d mismatches", len(names), bad)
	var big []int
	for i := range fd {
		if math.Abs(fd[i]) > 0.1 {
			big = append(big, i)
		}
	}
	if len(big) < 3 {
		t.Fatalf("only %d tensors with |∂J/∂θ·d| > 0.1", len(big))
	}
	for _, k := range []int{big[0], big[len(big)/2], big[len(big)-1]} {
		_, ad, fd := branchDirectional(t, c, k, 1.1)
		if !mismatch(ad[k], fd[k]) {
			t.Errorf("a 10 %% error in the gradient of %s went unnoticed (%.6g vs %.6g)", names[k], ad[k], fd[k])
		}
	}
}
