package wavediff

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// synthPairs makes n layered pairs at model resolution without simulation:
// velocity increasing with depth with a random interface, seismic a smooth
// function of the same parameter (enough to train and probe the proxy).
func synthPairs(n int, seed uint64, shift float32) *Pairs {
	rng := rand.New(rand.NewPCG(seed, 1))
	c, _ := CodecFor("curvevel-a")
	p := &Pairs{N: n, Codec: c, Vel: make([]uint16, n*VelLen), Seis: make([]uint16, n*SeisLen)}
	v := make([]float32, VelLen)
	s := make([]float32, SeisLen)
	for i := 0; i < n; i++ {
		d := 10 + rng.IntN(44)
		a := float32(rng.Float64()*0.6 - 0.3)
		for k := range v {
			z := k / VelW
			v[k] = -0.6 + shift
			if z > d {
				v[k] = a + 0.4 + shift
			}
		}
		for k := range s {
			tt := (k % (SeisT * SeisR)) / SeisR
			s[k] = -0.1 + 0.3*float32(math.Exp(-float64((tt-2*d)*(tt-2*d))/30)) + shift
		}
		encodeHalf(p.Vel[i*VelLen:], v)
		encodeHalf(p.Seis[i*SeisLen:], s)
	}
	return p
}

func TestProxyNetTrainsAndSeparatesDistributions(t *testing.T) {
	ctx := context.Background()
	train := synthPairs(48, 1, 0)
	p := NewProxyNet(ProxyConfig{Steps: 30, Batch: 8, LR: 3e-3, Seed: 3})
	var first, last float64
	if err := p.Train(ctx, train, func(step int, lv, ls float64) {
		if step == 0 {
			first = lv + ls
		}
		last = lv + ls
	}); err != nil {
		t.Fatal(err)
	}
	if !(last < 0.8*first) {
		t.Fatalf("proxy loss did not fall: %g → %g", first, last)
	}
	a, b, far := synthPairs(40, 2, 0), synthPairs(40, 3, 0), synthPairs(40, 4, 0.5)
	vel := func(q *Pairs) []float32 {
		x := make([]float32, q.N*VelLen)
		for i := 0; i < q.N; i++ {
			q.Velocity(x[i*VelLen:(i+1)*VelLen], i)
		}
		return x
	}
	seis := func(q *Pairs) []float32 {
		x := make([]float32, q.N*SeisLen)
		for i := 0; i < q.N; i++ {
			q.Seismic(x[i*SeisLen:(i+1)*SeisLen], i)
		}
		return x
	}
	self, err := p.FDProxy(ctx, "velocity", vel(a), vel(a))
	if err != nil {
		t.Fatal(err)
	}
	same, _ := p.FDProxy(ctx, "velocity", vel(a), vel(b))
	diff, _ := p.FDProxy(ctx, "velocity", vel(a), vel(far))
	if self > 1e-6 || !(diff > 2*same) {
		t.Fatalf("velocity FD-proxy: self %g, same distribution %g, shifted %g", self, same, diff)
	}
	sSame, _ := p.FDProxy(ctx, "seismic", seis(a), seis(b))
	sDiff, _ := p.FDProxy(ctx, "seismic", seis(a), seis(far))
	if !(sDiff > 2*sSame) {
		t.Fatalf("seismic FD-proxy: same %g, shifted %g", sSame, sDiff)
	}
	// Save/load gives the same features.
	path := filepath.Join(t.TempDir(), "proxy.safetensors")
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	q, err := LoadProxyNet(path)
	if err != nil {
		t.Fatal(err)
	}
	fa, _ := p.Features(ctx, "seismic", seis(a)[:2*SeisLen])
	fb, _ := q.Features(ctx, "seismic", seis(a)[:2*SeisLen])
	if fa.At(1, 7) != fb.At(1, 7) || fa.At(0, 0) != fb.At(0, 0) {
		t.Fatal("loaded proxy gives other features")
	}
}
