package diffusion_test

import (
	"fmt"

	"genfwi/models/diffusion"
)

// The paper's schedule: T = 1000, √β linear from 0.0015 to 0.0155.
func ExampleNewSchedule() {
	s, err := diffusion.NewSchedule(diffusion.ScheduleConfig{Timesteps: 1000, LinearStart: 0.0015, LinearEnd: 0.0155})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("β_499 = %.6f  ᾱ_499 = %.4f  ᾱ_999 = %.4e  √ᾱ_999 = %.4f\n",
		s.Betas[499], s.AlphasCumprod[499], s.AlphasCumprod[999], s.SqrtAlphasCumprod[999])
	// Output: β_499 = 0.006654  ᾱ_499 = 0.1511  ᾱ_999 = 6.6867e-04  √ᾱ_999 = 0.0259
}
