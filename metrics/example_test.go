package metrics_test

import (
	"fmt"

	"genfwi/metrics"
)

func ExampleVelocity() {
	// A 2×3 map, predicted 150 m/s too fast everywhere (0.1 normalised units).
	truth := []float32{2000, 2000, 2000, 3000, 3000, 3000}
	pred := []float32{2150, 2150, 2150, 3150, 3150, 3150}
	s := metrics.Velocity(truth, pred, 2, 3)
	fmt.Printf("MAE %.3f RMSE %.3f\n", s.MAE, s.RMSE)
	fmt.Printf("SSIM(truth, truth) = %.3f\n", metrics.Velocity(truth, truth, 2, 3).SSIM)
	// Output:
	// MAE 0.100 RMSE 0.100
	// SSIM(truth, truth) = 1.000
}
