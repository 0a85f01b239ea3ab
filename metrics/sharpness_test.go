package metrics

import (
	"math"
	"testing"
)

// TestInterfaceSharpness: one 1000 m/s interface across a 70×70 map gives
// 70 jumps of 1000 m/s among the top 97 (2 % of 69·70), so the measure is
// 70·1000/97; the same interface ramped over two cells gives 140 jumps of
// 500 m/s, so 500; a constant map scores 0; the mean over maps averages.
func TestInterfaceSharpness(t *testing.T) {
	const nz, nx = 70, 70
	step := make([]float32, nz*nx)
	ramp := make([]float32, nz*nx)
	for z := range nz {
		for x := range nx {
			step[z*nx+x], ramp[z*nx+x] = 2000, 2000
			if z >= 30 {
				step[z*nx+x] = 3000
			}
			switch {
			case z == 30:
				ramp[z*nx+x] = 2500
			case z > 30:
				ramp[z*nx+x] = 3000
			}
		}
	}
	want := 70 * 1000.0 / 97
	if got := InterfaceSharpness(step, nz, nx, 0.02); math.Abs(got-want) > 1e-9 {
		t.Errorf("step: %g, want %g", got, want)
	}
	if got := InterfaceSharpness(ramp, nz, nx, 0.02); math.Abs(got-500) > 1e-9 {
		t.Errorf("two-cell ramp: %g, want 500", got)
	}
	if got := InterfaceSharpness(make([]float32, nz*nx), nz, nx, 0.02); got != 0 {
		t.Errorf("constant map: %g", got)
	}
	if got := MeanInterfaceSharpness(append(step, ramp...), nz, nx, 0.02); math.Abs(got-(want+500)/2) > 1e-9 {
		t.Errorf("mean of step and ramp: %g, want %g", got, (want+500)/2)
	}
}
