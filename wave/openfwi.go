package wave

import (
	"context"
	"fmt"
	"sync"
)

// The OpenFWI acquisition (lanl/OpenFWI's dataset_config.json): a 70×70 map
// of 10 m cells, 5 shots × 1000 samples × 70 receivers, data layout
// [shot][time][receiver].
const (
	OpenFWINz     = 70   // model rows (depth)
	OpenFWINx     = 70   // model columns; also the receivers per shot
	OpenFWIShots  = 5    // shots per sample
	OpenFWINt     = 1000 // time samples per trace
	OpenFWIDt     = 1e-3 // s
	OpenFWIH      = 10.0 // m
	OpenFWIFreq   = 15.0 // Ricker peak frequency (Hz)
	OpenFWINB     = 120  // sponge cells on every side
	OpenFWIDepth  = 1    // source and receiver row (10 m)
	OpenFWIModel  = OpenFWINz * OpenFWINx
	OpenFWISample = OpenFWIShots * OpenFWINt * OpenFWINx // seismic values per sample
)

// OpenFWISourceX are the source columns: round(linspace(0, 69, 5)) with numpy's
// half-to-even rounding.
var OpenFWISourceX = [OpenFWIShots]int{0, 17, 34, 52, 69}

// OpenFWIGeometry returns the OpenFWI shots: sources at row 1 and columns
// OpenFWISourceX, receivers at row 1 in every column.
func OpenFWIGeometry() []Shot {
	shots := make([]Shot, OpenFWIShots)
	for i, x := range OpenFWISourceX {
		rec := make([]Point, OpenFWINx)
		for j := range rec {
			rec[j] = Point{Z: OpenFWIDepth, X: j}
		}
		shots[i] = Shot{Source: Point{Z: OpenFWIDepth, X: x}, Receivers: rec}
	}
	return shots
}

// OpenFWIOptions returns the OpenFWI-exact options: order 4, the Sponge
// boundary of 120 cells with vref = min(v) per map, a periodic padded grid
// (UPFWI's torch.roll Laplacian), dt 1 ms, 1000 samples.
func OpenFWIOptions(workers int) Options {
	return Options{Order: 4, Boundary: Sponge, NB: OpenFWINB, Dt: OpenFWIDt, Nt: OpenFWINt, Workers: workers, Periodic: true}
}

// NewOpenFWI returns a Simulator for the OpenFWI-exact preset (UPFWI's
// FWIForward.FWM, Jin et al. ICLR 2022, with dataset_config.json's values:
// 310×310 padded grid, edge-replicated velocity, 4th order, 15 Hz OpenFWI
// Ricker peaking at sample 73, periodic edges of the padded grid as
// UPFWI's torch.roll). It agrees with an independent float32 transcription
// of UPFWI's FWM to 1e-4 of the peak amplitude over whole records
// (TestOpenFWIMatchesFWM); the remaining differences are float32 rounding
// order.
func NewOpenFWI(workers int) (*Simulator, error) {
	if workers < 0 {
		return nil, fmt.Errorf("wave: workers must be >= 0 (0 = GOMAXPROCS), got %d", workers)
	}
	return NewSimulator(Grid{Nz: OpenFWINz, Nx: OpenFWINx, H: OpenFWIH}, OpenFWIGeometry(),
		RickerOpenFWI(OpenFWINt, OpenFWIFreq, OpenFWIDt), OpenFWIOptions(workers))
}

var (
	openfwiMu   sync.Mutex
	openfwiSims = map[int]*Simulator{}
)

// OpenFWIForward simulates one OpenFWI sample: vel is a 70×70 map in m/s,
// row-major [z][x]; dst (len OpenFWISample = 5·1000·70) receives the
// pressure in the OpenFWI layout [shot][time][receiver]. workers goroutines
// share the shots (0 = GOMAXPROCS). The damping uses min(vel) as in OpenFWI.
// It allocates the coefficient arrays and two wavefields per worker. It
// returns an error for a bad map (wrong length, NaN, zero or negative
// velocity) or a wrong dst length.
func OpenFWIForward(ctx context.Context, vel []float32, dst []float32, workers int) error {
	if len(vel) != OpenFWIModel {
		return fmt.Errorf("wave: OpenFWI velocity map has %d values, want 70·70 = %d", len(vel), OpenFWIModel)
	}
	if len(dst) != OpenFWISample {
		return fmt.Errorf("wave: OpenFWI data buffer has %d values, want 5·1000·70 = %d", len(dst), OpenFWISample)
	}
	openfwiMu.Lock()
	s := openfwiSims[workers]
	if s == nil {
		var err error
		if s, err = NewOpenFWI(workers); err != nil {
			openfwiMu.Unlock()
			return err
		}
		openfwiSims[workers] = s
	}
	openfwiMu.Unlock()
	return s.Forward(ctx, vel, dst)
}
