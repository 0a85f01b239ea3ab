package wiser

import (
	"context"
	"math"
	"testing"

	"genfwi/cig"
)

// smallSurvey is a noise-free n×n survey at 10 m: 4 shots, n receivers,
// 0.5 s, 4th order, 20-cell damping layer.
func smallSurvey(t *testing.T, n int) *cig.Survey {
	t.Helper()
	sc := cig.SurveyConfig{Nz: n, Nx: n, H: 10, Shots: 4, SourceDepth: 10, Receivers: n, ReceiverDepth: 10,
		T: 0.5, Dt: 0.001, Freq: 15, HighPass: 3, HighPassOrder: 5, Order: 4, NB: 20, Offsets: []int{0}}
	sv, err := cig.NewSurvey(sc)
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

// TestMigrateImagesTheReflector migrates noise-free data of a two-layer
// model (2000 m/s over 2600 m/s from row 20) with the upper layer's
// velocity everywhere: the residual is the reflection the model lacks, and
// its migration must peak at the interface depth. The top mute zeroes the
// rows above it, and the spread over identical models is zero.
func TestMigrateImagesTheReflector(t *testing.T) {
	const n, iface = 32, 20
	sv := smallSurvey(t, n)
	truth, mig := make([]float32, n*n), make([]float32, n*n)
	for z := 0; z < n; z++ {
		for x := 0; x < n; x++ {
			truth[z*n+x], mig[z*n+x] = 2000, 2000
			if z >= iface {
				truth[z*n+x] = 2600
			}
		}
	}
	ctx := context.Background()
	obs, err := sv.Observe(ctx, truth, 3)
	if err != nil {
		t.Fatal(err)
	}
	im, err := Migrate(ctx, ImageOptions{Survey: sv, Obs: obs, MuteRows: 3, TaperRows: 2, Workers: 2}, [][]float32{mig, mig})
	if err != nil {
		t.Fatal(err)
	}
	if im.Solves != 2*2*4 {
		t.Errorf("%d PDE solves, want 16 (2 models × 4 shots × forward and adjoint)", im.Solves)
	}
	row := make([]float64, n)
	best := 0
	for z := 0; z < n; z++ {
		for x := 4; x < n-4; x++ { // away from the side edges
			row[z] += math.Abs(float64(im.Images[0][z*n+x]))
		}
		if row[z] > row[best] {
			best = z
		}
		if z < 3 && row[z] != 0 {
			t.Errorf("row %d is not muted (sum |I| = %g)", z, row[z])
		}
	}
	t.Logf("image strength per row: peak at row %d (interface at %d); rows 10, 19, 20, 21, 28: %.3g %.3g %.3g %.3g %.3g",
		best, iface, row[10], row[19], row[20], row[21], row[28])
	if best < iface-2 || best > iface+1 {
		t.Errorf("image peaks at row %d, the reflector is at row %d", best, iface)
	}
	for p, s := range im.Std {
		if s != 0 || im.Mean[p] != im.Images[0][p] {
			t.Fatalf("pixel %d: mean %g std %g over two identical models (image %g)", p, im.Mean[p], s, im.Images[0][p])
		}
	}
	if _, err := Migrate(ctx, ImageOptions{Survey: sv, Obs: obs}, [][]float32{mig[:10]}); err == nil {
		t.Error("a velocity of the wrong size was accepted")
	}
}
