package wavediff

import "math/rand/v2"

// Batcher draws mini-batches of indices into a set of N items. The sample
// stream is the concatenation of one random permutation of 0..N−1 per epoch,
// permutation e drawn from PCG(Seed, e); step s takes stream positions
// [s·Batch, (s+1)·Batch). The batches are therefore a pure function of
// (Seed, N, Batch, s): a run resumed at step s draws exactly what an
// uninterrupted run would have. A Batcher caches the current permutation and
// is not safe for concurrent use.
type Batcher struct {
	N, Batch int
	Seed     uint64

	epoch int
	perm  []int
}

// NewBatcher returns a batcher over n items; it panics on n < 1 or batch < 1.
func NewBatcher(n, batch int, seed uint64) *Batcher {
	if n < 1 || batch < 1 {
		panic("wavediff: NewBatcher: n and batch must be positive")
	}
	return &Batcher{N: n, Batch: batch, Seed: seed, epoch: -1}
}

// Indices returns the indices of step's batch, written into dst (grown if
// needed, Batch long).
func (b *Batcher) Indices(step int, dst []int) []int {
	dst = dst[:0]
	for j := 0; j < b.Batch; j++ {
		k := step*b.Batch + j
		e, i := k/b.N, k%b.N
		if e != b.epoch {
			b.perm = rand.New(rand.NewPCG(b.Seed, uint64(e))).Perm(b.N)
			b.epoch = e
		}
		dst = append(dst, b.perm[i])
	}
	return dst
}

// Epoch returns the (fractional) number of passes over the data completed
// after steps steps.
func (b *Batcher) Epoch(steps int) float64 { return float64(steps*b.Batch) / float64(b.N) }
