package figures_test

import (
	"fmt"
	"os"
	"path/filepath"

	"genfwi/figures"
)

func ExampleVelocityMap() {
	dir, _ := os.MkdirTemp("", "figures")
	defer os.RemoveAll(dir)
	// A 3×4 map (10 m cells): 2000 m/s over 3000 m/s.
	v := []float32{2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 3000, 3000, 3000, 3000}
	path := filepath.Join(dir, "v.png")
	err := figures.VelocityMap(path, "two layers", v, 3, 4, 10, 10, 1500, 4500)
	_, statErr := os.Stat(path)
	fmt.Println(err, statErr)
	// Output: <nil> <nil>
}

func ExampleLines() {
	dir, _ := os.MkdirTemp("", "figures")
	defer os.RemoveAll(dir)
	err := figures.Lines(filepath.Join(dir, "misfit.png"),
		figures.LineSpec{Title: "misfit", XLabel: "iteration", YLabel: "J", LogY: true},
		figures.Series{Name: "full band", Y: []float64{100, 40, 20, 15}})
	fmt.Println(err)
	// Output: <nil>
}
