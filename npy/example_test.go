package npy_test

import (
	"fmt"
	"os"
	"path/filepath"

	"genfwi/npy"
)

func Example() {
	dir, _ := os.MkdirTemp("", "npy")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "models.npy")

	// Write three 2×2 samples, in any order, then commit atomically.
	fw, err := npy.Create(path, npy.Float32, []int{3, 2, 2})
	if err != nil {
		panic(err)
	}
	defer fw.Abort()
	for i := 2; i >= 0; i-- {
		v := float32(1500 + 1000*i)
		fw.WriteSampleFloat32(i, []float32{v, v, v + 1, v + 1})
	}
	if err := fw.Commit(); err != nil {
		panic(err)
	}

	// Read samples 1..2 only, as float64.
	f, err := npy.Open(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	h := f.Header()
	dst := make([]float64, 2*h.SampleLen())
	if err := f.ReadSamplesFloat64(dst, 1, 3); err != nil {
		panic(err)
	}
	fmt.Println(h.Major, h.DType, h.Shape, h.DataOffset)
	fmt.Println(dst)
	// Output:
	// 1 <f4 [3 2 2] 128
	// [2500 2500 2501 2501 3500 3500 3501 3501]
}
