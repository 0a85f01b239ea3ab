package fwi

import (
	"context"
	"testing"

	"genfwi/wave"
)

// BenchmarkEvalOpenFWI times one misfit+gradient evaluation (5 shots,
// forward + adjoint) on the OpenFWI preset for a two-layer 70×70 model.
func BenchmarkEvalOpenFWI(b *testing.B) {
	v := make([]float32, wave.OpenFWIModel)
	for i := range v {
		v[i] = 2000
		if i/wave.OpenFWINx >= 35 {
			v[i] = 3000
		}
	}
	obs := make([]float32, wave.OpenFWISample)
	if err := wave.OpenFWIForward(context.Background(), v, obs, 0); err != nil {
		b.Fatal(err)
	}
	sv := Survey{Grid: wave.Grid{Nz: 70, Nx: 70, H: 10}, Shots: wave.OpenFWIGeometry(),
		Wavelet: wave.RickerOpenFWI(1000, 15, 1e-3), Opts: wave.OpenFWIOptions(0)}
	sv.Opts.DampVelocity = 2000
	obj, err := bandObjective(sv, obs, 0, Config{}.withDefaults())
	if err != nil {
		b.Fatal(err)
	}
	v0 := make([]float32, len(v))
	for i := range v0 {
		v0[i] = 2400
	}
	g := make([]float32, len(v))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := obj.Eval(context.Background(), v0, nil, g); err != nil {
			b.Fatal(err)
		}
	}
}
