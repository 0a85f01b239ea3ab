package vqae

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// Quantizer is taming-transformers' VectorQuantizer2 as LDM's VQModel uses
// it: a codebook E (K, D) initialised U(−1/K, 1/K), learned by gradient
// (not EMA). Letters: N batch, D = embed_dim, H, W latent size, M = N·H·W
// latent vectors, K codes.
type Quantizer struct {
	// Codebook is E (K, D).
	Codebook *nn.Embedding
	// Beta is the commitment weight β.
	Beta float64
	// Legacy selects LDM's default loss, mean((sg[zq]−h)²) +
	// β·mean((zq−sg[h])²); otherwise the standard VQ-VAE
	// β·mean((sg[zq]−h)²) + mean((zq−sg[h])²).
	Legacy bool
}

// NewQuantizer makes a (k, d) codebook named "quantize.embedding".
func NewQuantizer(rng *rand.Rand, k, d int, beta float64, legacy bool) *Quantizer {
	return &Quantizer{Codebook: nn.NewEmbedding("quantize.embedding", rng, k, d), Beta: beta, Legacy: legacy}
}

// Params returns the codebook.
func (q *Quantizer) Params() []*nn.Param { return q.Codebook.Params() }

// Quantized is the result of quantising a latent.
type Quantized struct {
	// Zq is h + sg(zq − h): the value of the nearest codes, with the identity
	// gradient onto h (straight-through estimator). (N, D, H, W)
	Zq *autograd.Var
	// Indices holds the code index of each latent vector, in (n, y, x) order.
	// (M)
	Indices []int
	// Loss is the VQ loss (one element), legacy or standard per the
	// Quantizer; the codebook term is the only path of gradient into E.
	Loss *autograd.Var
}

// Quantize replaces each D-vector of h (N, D, H, W) by its nearest code
// (Euclidean, ties to the lowest index) and returns the straight-through
// output, the indices and the VQ loss. It allocates M·D for the gathered
// codes (from the heap: the codebook is a leaf).
func (q *Quantizer) Quantize(h *autograd.Var) *Quantized {
	s := h.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("vqae: Quantize: h must be (N, D, H, W), got %v", s))
	}
	n, d, hh, ww := s[0], s[1], s[2], s[3]
	k := q.Codebook.Table.Value().Shape
	if k[1] != d {
		panic(fmt.Sprintf("vqae: Quantize: latent has %d channels, codebook vectors %d", d, k[1]))
	}
	flat := autograd.Reshape(autograd.Permute(h, 0, 2, 3, 1), n*hh*ww, d) // (M, D)
	idx := autograd.NearestCode(flat.Value, q.Codebook.Table.Value())
	zq := q.Codebook.Forward(idx)                                         // (M, D)
	zq = autograd.Permute(autograd.Reshape(zq, n, hh, ww, d), 0, 3, 1, 2) // (N, D, H, W)
	// codebook term pulls E toward sg[h]; commitment term pulls h toward sg[zq].
	codebook := autograd.MSE(zq, autograd.StopGrad(h))
	commit := autograd.MSE(autograd.StopGrad(zq), h)
	var loss *autograd.Var
	if q.Legacy {
		loss = autograd.Add(commit, autograd.Scale(codebook, float32(q.Beta)))
	} else {
		loss = autograd.Add(autograd.Scale(commit, float32(q.Beta)), codebook)
	}
	st := autograd.Add(h, autograd.StopGrad(autograd.Sub(zq, h)))
	return &Quantized{Zq: st, Indices: idx, Loss: loss}
}

// Lookup returns the codes idx as a latent (n, D, hh, ww) without gradient,
// the inverse of Quantize's indexing. It allocates.
func (q *Quantizer) Lookup(idx []int, n, hh, ww int) *tensor.Tensor {
	e := q.Codebook.Table.Value()
	d := e.Shape[1]
	if len(idx) != n*hh*ww {
		panic(fmt.Sprintf("vqae: Lookup: %d indices for %d×%d×%d", len(idx), n, hh, ww))
	}
	out := tensor.New(n, d, hh, ww)
	for m, k := range idx {
		b, p := m/(hh*ww), m%(hh*ww)
		for c := 0; c < d; c++ {
			out.Data[(b*d+c)*hh*ww+p] = e.Data[k*d+c]
		}
	}
	return out
}

// Perplexity returns exp(−Σ_k p_k ln p_k) of the code histogram of idx over
// k codes: 1 when one code is used, k when all are used equally.
func Perplexity(idx []int, k int) float64 {
	if len(idx) == 0 {
		return 0
	}
	counts := make([]int, k)
	for _, i := range idx {
		counts[i]++
	}
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(len(idx))
			h -= p * math.Log(p)
		}
	}
	return math.Exp(h)
}

// CodeStats tracks codebook usage across training steps: how often each
// code was chosen since the last Reset, and the step it was last chosen.
type CodeStats struct {
	// Counts[k] is the number of latent vectors assigned to code k since
	// the last Reset.
	Counts []int64
	// LastUsed[k] is the last step at which code k was chosen (−1: never).
	LastUsed []int
	// Step is the number of Observe calls.
	Step int
}

// NewCodeStats makes usage statistics for k codes.
func NewCodeStats(k int) *CodeStats {
	s := &CodeStats{Counts: make([]int64, k), LastUsed: make([]int, k)}
	for i := range s.LastUsed {
		s.LastUsed[i] = -1
	}
	return s
}

// Observe records one step's code indices.
func (s *CodeStats) Observe(idx []int) {
	for _, i := range idx {
		s.Counts[i]++
		s.LastUsed[i] = s.Step
	}
	s.Step++
}

// Usage returns the fraction of codes chosen at least once since Reset.
func (s *CodeStats) Usage() float64 {
	used := 0
	for _, c := range s.Counts {
		if c > 0 {
			used++
		}
	}
	return float64(used) / float64(len(s.Counts))
}

// Perplexity returns exp(entropy) of the accumulated histogram.
func (s *CodeStats) Perplexity() float64 {
	var tot int64
	for _, c := range s.Counts {
		tot += c
	}
	if tot == 0 {
		return 0
	}
	var h float64
	for _, c := range s.Counts {
		if c > 0 {
			p := float64(c) / float64(tot)
			h -= p * math.Log(p)
		}
	}
	return math.Exp(h)
}

// Reset clears the histogram (LastUsed is kept).
func (s *CodeStats) Reset() { clear(s.Counts) }

// Dead returns the codes not chosen during the last window steps.
func (s *CodeStats) Dead(window int) []int {
	var d []int
	for k, l := range s.LastUsed {
		if s.Step-1-l >= window {
			d = append(d, k)
		}
	}
	return d
}

// ReinitCodes overwrites the codes dead with latent vectors of h (N, D, H,
// W) picked uniformly at random (without replacement while possible), the
// usual remedy for codebook collapse: a revived code starts where the
// encoder actually puts mass. It marks them used at the current step in s
// (if non-nil) and returns how many were reset. The optimiser's moments for
// those rows are left as they are.
func (q *Quantizer) ReinitCodes(dead []int, h *tensor.Tensor, rng *rand.Rand, s *CodeStats) int {
	if len(dead) == 0 {
		return 0
	}
	n, d, hh, ww := h.Shape[0], h.Shape[1], h.Shape[2], h.Shape[3]
	e := q.Codebook.Table.Value()
	if e.Shape[1] != d {
		panic(fmt.Sprintf("vqae: ReinitCodes: latent has %d channels, codebook %d", d, e.Shape[1]))
	}
	m := n * hh * ww
	perm := rng.Perm(m)
	for i, k := range dead {
		v := perm[i%m]
		b, p := v/(hh*ww), v%(hh*ww)
		for c := 0; c < d; c++ {
			e.Data[k*d+c] = h.Data[(b*d+c)*hh*ww+p]
			if i >= m {
				// more dead codes than vectors: jitter the repeats so the
				// copies are not exact ties (which always go to one index).
				e.Data[k*d+c] += float32(0.01 * rng.NormFloat64())
			}
		}
		if s != nil {
			s.LastUsed[k] = s.Step - 1
		}
	}
	return len(dead)
}
