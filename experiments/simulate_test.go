package experiments

import (
	"context"
	"path/filepath"
	"testing"

	"genfwi/npy"
	"genfwi/wave"
)

// smallSimulator is a 20×24 grid with one shot at the surface.
func smallSimulator(workers int) (*wave.Simulator, error) {
	b, err := wave.ParseBoundary("sponge")
	if err != nil {
		return nil, err
	}
	rec := make([]wave.Point, 24)
	for j := range rec {
		rec[j] = wave.Point{Z: 1, X: j}
	}
	opts := wave.Options{Order: 4, Boundary: b, NB: 10, Dt: 1e-3, Nt: 120, Workers: workers}
	return wave.NewSimulator(wave.Grid{Nz: 20, Nx: 24, H: 10}, []wave.Shot{{Source: wave.Point{Z: 1, X: 12}, Receivers: rec}},
		wave.Ricker(120, 15, 1e-3, 0), opts)
}

func TestSimulate(t *testing.T) {
	items := make([]SimItem, 3)
	for k := range items {
		v := make([]float32, 20*24)
		for i := range v {
			v[i] = 1500 + float32(k)*500
		}
		items[k] = SimItem{File: "maps.npy", Sample: 4 + k, V: v}
	}
	out := filepath.Join(t.TempDir(), "data.npy")
	r, err := Simulate(context.Background(), SimulateOptions{Items: items, NewSimulator: smallSimulator, Workers: 2, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	data, shape, err := npy.ReadFileFloat32(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 4 || shape[0] != 3 || shape[1] != 1 || shape[2] != 120 || shape[3] != 24 {
		t.Fatalf("output shape %v, want [3 1 120 24]", shape)
	}
	lo, hi := float64(data[0]), float64(data[0])
	for _, x := range data {
		lo, hi = min(lo, float64(x)), max(hi, float64(x))
	}
	if r.DataMin != lo || r.DataMax != hi || !(hi > 0) || r.Workers != 2 {
		t.Errorf("extremes %g/%g with %d workers, the file has %g/%g", r.DataMin, r.DataMax, r.Workers, lo, hi)
	}
	if r.ArgMax.File != "maps.npy" || r.ArgMax.Sample < 4 {
		t.Errorf("argmax %+v", r.ArgMax)
	}
	// A map the simulator refuses is named before anything is written.
	bad := []SimItem{{File: "bad.npy", Sample: 7, V: make([]float32, 20*24)}}
	if _, err := Simulate(context.Background(), SimulateOptions{Items: bad, NewSimulator: smallSimulator, Out: filepath.Join(t.TempDir(), "x.npy")}); err == nil {
		t.Error("zero velocities simulated without an error")
	}
}
