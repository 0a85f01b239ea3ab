package wave

import (
	"context"
	"math"
	"testing"

	"genfwi/wave/internal/ref"
)

// layeredMap returns a 70×70 OpenFWI-sized map of horizontal layers with the
// given velocities (m/s), equally thick, top first.
func layeredMap(vels ...float32) []float32 {
	v := make([]float32, OpenFWIModel)
	for z := 0; z < OpenFWINz; z++ {
		l := z * len(vels) / OpenFWINz
		for x := 0; x < OpenFWINx; x++ {
			v[z*OpenFWINx+x] = vels[l]
		}
	}
	return v
}

// TestOpenFWIMatchesFWM: the OpenFWI preset reproduces an independent float32
// transcription of the published forward (periodic wrap of the padded grid,
// ref.FWM) to 1e-4 of the peak over the whole record, on a fast map (where
// the wrap shows at late times on the edge receivers) and a slow one.
func TestOpenFWIMatchesFWM(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("two float32 reference runs on 310×310 × 1000 steps, ~10 s")
	}
	cases := []struct {
		name string
		v    []float32
	}{
		{"fast", layeredMap(3500, 3900, 4200, 4500)},
		{"slow", layeredMap(1600, 2200, 2900, 3600)},
	}
	rz, rx := make([]int, OpenFWINx), make([]int, OpenFWINx)
	for i := range rx {
		rz[i], rx[i] = OpenFWIDepth, i
	}
	w64 := RickerOpenFWI(OpenFWINt, OpenFWIFreq, OpenFWIDt)
	w := make([]float32, len(w64))
	for i, x := range w64 {
		w[i] = float32(x)
	}
	for _, tc := range cases {
		d := make([]float32, OpenFWISample)
		if err := OpenFWIForward(context.Background(), tc.v, d, 0); err != nil {
			t.Fatal(err)
		}
		rows := make([][]float32, OpenFWINz)
		for z := range rows {
			rows[z] = tc.v[z*OpenFWINx : (z+1)*OpenFWINx]
		}
		for _, shot := range []int{0, 4} {
			want := ref.FWM(rows, OpenFWIH, OpenFWIDt, OpenFWINB, OpenFWIDepth, OpenFWISourceX[shot], w, rz, rx)
			var peak, e float64
			var ej, ei int
			for j := range want {
				for i := range want[j] {
					got := float64(d[shot*OpenFWINt*OpenFWINx+j*OpenFWINx+i])
					peak = math.Max(peak, math.Abs(float64(want[j][i])))
					if x := math.Abs(got - float64(want[j][i])); x > e {
						e, ej, ei = x, j, i
					}
				}
			}
			t.Logf("%s shot %d: max error %.3g of the peak at sample %d receiver %d", tc.name, shot, e/peak, ej, ei)
			if peak == 0 || e > 1e-4*peak {
				t.Errorf("%s map, shot %d: max error %.3g of the peak %.3g (sample %d, receiver %d), want <= 1e-4", tc.name, shot, e/peak, peak, ej, ei)
			}
		}
	}
}
