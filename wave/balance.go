package wave

import (
	"context"
	"runtime"
	"sync/atomic"
)

// Balanced forward: when the shots do not divide evenly among the workers
// (OpenFWI: 5 shots on 2 cores means 3 rounds for 2.5 rounds of work), every
// time step of every shot is split into equal bands of rows, one band per
// worker, with a barrier between steps. Fields are addressed by step parity
// (F[n%2] holds p^n, F[(n+1)%2] receives p^{n+1}), so workers never swap
// shared slices.

// spinBarrier is a reusable barrier for a fixed number of goroutines that
// spins briefly and then yields; steps last tens of microseconds, far less
// than a parked goroutine takes to wake.
type spinBarrier struct {
	n     int32
	count atomic.Int32
	gen   atomic.Uint32
}

func (b *spinBarrier) wait() {
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Add(1)
		return
	}
	for i := 0; b.gen.Load() == g; i++ {
		if i > 64 {
			runtime.Gosched()
		}
	}
}

// band is a run of rows of one shot: rows z0..z1−1 (halo layout) of shot
// position pos.
type band struct{ pos, z0, z1 int }

// bands splits S shots × nzp rows into nw contiguous, nearly equal parts.
func bands(S, nzp, hw, nw int) [][]band {
	total := S * nzp
	out := make([][]band, nw)
	for w := 0; w < nw; w++ {
		lo, hi := w*total/nw, (w+1)*total/nw
		for g := lo; g < hi; {
			s := g / nzp
			end := min(hi, (s+1)*nzp)
			out[w] = append(out[w], band{pos: s, z0: hw + g - s*nzp, z1: hw + end - s*nzp})
			g = end
		}
	}
	return out
}

// forwardBalanced runs the listed shots with every step split across nw
// workers (see the file comment). Results equal forward's bit for bit.
func (r *run[T]) forwardBalanced(ctx context.Context, list []int, dst []T, nw int) error {
	c := &r.c
	S := len(list)
	per := r.s.opts.Nt * r.s.nrec
	F := make([][2][]T, S)
	for i := range F {
		F[i] = [2][]T{getBuf[T](r.s, r.fields), getBuf[T](r.s, r.fields)}
		clear(F[i][0])
		clear(F[i][1])
	}
	defer func() {
		for _, f := range F {
			putBuf(r.s, f[0], f[1])
		}
	}()
	parts := bands(S, c.nzp, c.hw, nw)
	stride := c.stride
	var (
		bar  = spinBarrier{n: int32(nw)}
		stop atomic.Bool
		done = make(chan struct{}, nw)
	)
	for w := 0; w < nw; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			mine := parts[w]
			for n := 0; n < r.N; n++ {
				if w == 0 && n%ctxEvery == 0 && ctx.Err() != nil {
					stop.Store(true)
				}
				for _, b := range mine {
					si := list[b.pos]
					p0, p1 := F[b.pos][(n+1)%2], F[b.pos][n%2]
					stepForward(c, p0, p1, nil, b.z0, b.z1)
					if src := r.src[si]; src/stride >= b.z0 && src/stride < b.z1 {
						p0[src] += r.bsrc[si] * r.f[n]
					}
					if (n+1)%r.k == 0 {
						j := (n+1)/r.k - 1
						o := dst[b.pos*per+j*r.s.nrec : b.pos*per+(j+1)*r.s.nrec]
						for i, ix := range r.rec[si] {
							if z := ix / stride; z >= b.z0 && z < b.z1 {
								o[i] = p0[ix]
							}
						}
					}
				}
				bar.wait()
				if stop.Load() {
					return
				}
			}
		}(w)
	}
	for w := 0; w < nw; w++ {
		<-done
	}
	if stop.Load() {
		return ctx.Err()
	}
	return checkFinite(dst, list, r.s.nrec)
}
