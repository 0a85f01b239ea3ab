package vqae_test

import (
	"fmt"

	"genfwi/models/vqae"
)

// Perplexity is exp(entropy) of the code histogram: the effective number of
// codes in use.
func ExamplePerplexity() {
	fmt.Printf("%.2f %.2f\n", vqae.Perplexity([]int{5, 5, 5, 5}, 1024), vqae.Perplexity([]int{1, 2, 3, 4}, 1024))
	// Output: 1.00 4.00
}

// The latent every preset produces: D×16×16 with D = embed_dim; the cpu
// preset's branches read OpenFWI's native 70-wide grids (input_size) onto
// 64-wide networks (resolution).
func ExamplePreset() {
	c, err := vqae.Preset("cpu")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Mode, c.Geometry, c.LatentShape(), c.NEmbed, c.Seismic.In(), c.Seismic.Resolution, c.Velocity.In(), c.Velocity.Resolution)
	// Output: joint native70 [32 16 16] 8192 [256 70] [256 64] [70 70] [64 64]
}
