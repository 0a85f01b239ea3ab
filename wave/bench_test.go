package wave

import (
	"context"
	"fmt"
	"testing"
)

// benchStep times one forward step of the dispatched float32 kernel on an
// n×n model with nb absorbing cells, reporting cell updates per second.
func benchStep(b *testing.B, n, nb, order int) {
	s, err := NewSimulator(Grid{Nz: n, Nx: n, H: 10}, nil, make([]float64, 1), Options{Order: order, NB: nb, Dt: 1e-3, Nt: 1})
	if err != nil {
		b.Fatal(err)
	}
	v := make([]float64, n*n)
	for i := range v {
		v[i] = 2000 + float64(i%n)
	}
	r, err := newRun[float32](s, v)
	if err != nil {
		b.Fatal(err)
	}
	c := &r.c
	p0, p1 := make([]float32, r.fields), make([]float32, r.fields)
	p1[r.idx(c.nzp/2, c.nxp/2)] = 1
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stepForward(c, p0, p1, nil, c.hw, c.hw+c.nzp)
		p0, p1 = p1, p0
	}
	b.ReportMetric(float64(c.nzp*c.nxp)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mcell/s")
}

func BenchmarkStep(b *testing.B) {
	for _, c := range []struct{ n, nb, order int }{{70, 120, 4}, {256, 40, 8}, {64, 20, 4}, {1024, 40, 4}} {
		b.Run(fmt.Sprintf("n%d-nb%d-o%d", c.n, c.nb, c.order), func(b *testing.B) { benchStep(b, c.n, c.nb, c.order) })
	}
}

// BenchmarkOpenFWIForward times a whole OpenFWI sample (5 shots).
func BenchmarkOpenFWIForward(b *testing.B) {
	v := make([]float32, OpenFWIModel)
	for i := range v {
		v[i] = 1500 + float32(i/70)*40
	}
	d := make([]float32, OpenFWISample)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := OpenFWIForward(context.Background(), v, d, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(310*310*1000*5*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mcell/s")
}

// BenchmarkGradientOpenFWI times Gradient on the OpenFWI geometry for several
// memory budgets (full storage vs checkpointing with cache-sized segments).
func BenchmarkGradientOpenFWI(b *testing.B) {
	v, obs := layeredOpenFWI(b)
	for _, mb := range []int64{512, 64, 24, 12} {
		b.Run(fmt.Sprintf("budget%dMiB", mb), func(b *testing.B) {
			o := OpenFWIOptions(0)
			o.MemoryBudget = mb << 20
			s, err := NewSimulator(Grid{Nz: 70, Nx: 70, H: 10}, OpenFWIGeometry(), RickerOpenFWI(OpenFWINt, 15, 1e-3), o)
			if err != nil {
				b.Fatal(err)
			}
			g := make([]float32, OpenFWIModel)
			for i := 0; i < b.N; i++ {
				if _, err := s.Gradient(context.Background(), v, obs, nil, g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// layeredOpenFWI returns a layered OpenFWI map (1550–4310 m/s) and the data
// of the same map 50 m/s slower: a gradient problem for the benchmarks.
func layeredOpenFWI(b *testing.B) (v, obs []float32) {
	b.Helper()
	v = make([]float32, OpenFWIModel)
	for i := range v {
		v[i] = 1500 + float32(i/70)*40
	}
	obs = make([]float32, OpenFWISample)
	if err := OpenFWIForward(context.Background(), v, obs, 0); err != nil {
		b.Fatal(err)
	}
	for i := range v {
		v[i] += 50
	}
	return v, obs
}
