package wave_test

import (
	"context"
	"fmt"

	"genfwi/wave"
)

func ExampleCourantLimit() {
	for _, order := range []int{2, 4, 8} {
		fmt.Printf("order %d: %.4f\n", order, wave.CourantLimit(order))
	}
	// Output:
	// order 2: 0.7071
	// order 4: 0.6124
	// order 8: 0.5546
}

func ExampleRickerOpenFWI() {
	w := wave.RickerOpenFWI(wave.OpenFWINt, wave.OpenFWIFreq, wave.OpenFWIDt)
	peak := 0
	for i := range w {
		if w[i] > w[peak] {
			peak = i
		}
	}
	fmt.Println("peak at sample", peak, "value", w[peak])
	// Output: peak at sample 73 value 1
}

// A gradient on a small grid: one shot, a true model with a faster lower
// half and a homogeneous starting model; grad receives ∂J/∂v per cell.
func ExampleSimulator_Gradient() {
	g := wave.Grid{Nz: 30, Nx: 30, H: 10}
	rec := make([]wave.Point, 30)
	for i := range rec {
		rec[i] = wave.Point{Z: 1, X: i}
	}
	shots := []wave.Shot{{Source: wave.Point{Z: 1, X: 15}, Receivers: rec}}
	opts := wave.Options{Order: 4, NB: 20, Dt: 1e-3, Nt: 400, DampVelocity: 2000}
	sim, err := wave.NewSimulator(g, shots, wave.Ricker(400, 15, 1e-3, 0), opts)
	if err != nil {
		panic(err)
	}
	vTrue, v0 := make([]float32, g.Cells()), make([]float32, g.Cells())
	for i := range vTrue {
		v0[i] = 2000
		vTrue[i] = 2000
		if i/g.Nx >= 15 {
			vTrue[i] = 2600
		}
	}
	obs := make([]float32, sim.DataLen(1))
	if err := sim.Forward(context.Background(), vTrue, obs); err != nil {
		panic(err)
	}
	grad := make([]float32, g.Cells())
	misfit, err := sim.Gradient(context.Background(), v0, obs, nil, grad)
	if err != nil {
		panic(err)
	}
	fmt.Println("misfit > 0:", misfit > 0)
	// Output: misfit > 0: true
}
