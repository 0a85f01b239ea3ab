package openfwi_test

import (
	"fmt"

	"genfwi/openfwi"
)

func ExampleNorm() {
	d, _ := openfwi.Lookup("FlatVel_A")
	v := []float32{1500, 3000, 4500}
	d.Norm.Label(v, v)
	x := []float32{-26.95, 0, 52.77}
	d.Norm.Data(x, x)
	fmt.Printf("%s label %v data %.3f\n", d.Name, v, x)
	// Output: flatvel-a label [-1 0 1] data [-1.000 -0.089 1.000]
}

func ExampleDataset_OfficialFiles() {
	d, _ := openfwi.Lookup("curvefault-a")
	test := d.OfficialFiles(openfwi.Test)
	fmt.Println(len(d.OfficialFiles(openfwi.Train)), len(test), test[0].Data, test[0].Model)
	// Output: 96 12 seis2_1_32.npy vel2_1_32.npy
}
