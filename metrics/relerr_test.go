package metrics

import (
	"math"
	"testing"
)

func TestRelL2(t *testing.T) {
	want := []float32{3, 0, 4}
	if got := RelL2([]float32{3, 0, 4}, want); got != 0 {
		t.Errorf("equal vectors: %g, want 0", got)
	}
	// difference (0, 1, 0): ‖d‖ = 1, ‖want‖ = 5
	if got := RelL2([]float32{3, 1, 4}, want); math.Abs(got-0.2) > 1e-12 {
		t.Errorf("RelL2 = %g, want 0.2", got)
	}
	if got := RelL2([]float32{1}, []float32{0}); !math.IsInf(got, 1) {
		t.Errorf("zero reference: %g, want +Inf", got)
	}
	if got := RelL2([]float32{0}, []float32{0}); got != 0 {
		t.Errorf("both zero: %g, want 0", got)
	}
}
