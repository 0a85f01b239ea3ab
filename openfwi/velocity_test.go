package openfwi

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"genfwi/npy"
)

func writeVel(t *testing.T, shape []int, v []float32) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v.npy")
	if err := npy.WriteFileFloat32(path, npy.Float32, shape, v); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVelocityFileShapes(t *testing.T) {
	ramp := make([]float32, 3*4*5)
	for i := range ramp {
		ramp[i] = 1500 + float32(i)
	}
	for _, shape := range [][]int{{3, 1, 4, 5}, {3, 4, 5}} {
		v, err := OpenVelocity(writeVel(t, shape, ramp))
		if err != nil {
			t.Fatal(err)
		}
		if v.N != 3 || v.Nz != 4 || v.Nx != 5 || v.Single {
			t.Errorf("%v: N %d Nz %d Nx %d single %v", shape, v.N, v.Nz, v.Nx, v.Single)
		}
		m, err := v.Maps(1, 3)
		if err != nil || len(m) != 40 || m[0] != 1520 {
			t.Errorf("%v: Maps(1,3) = %d values from %v, %v", shape, len(m), m[:1], err)
		}
		if _, err := v.MapAt(3); err == nil {
			t.Errorf("%v: MapAt beyond the file succeeded", shape)
		}
		if err := v.Require(70, 70, "the OpenFWI geometry"); err == nil || !strings.Contains(err.Error(), "4×5") {
			t.Errorf("%v: Require(70, 70) = %v", shape, err)
		}
		v.Close()
	}
	// A single map serves every index.
	one, err := OpenVelocity(writeVel(t, []int{4, 5}, ramp[:20]))
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	if m, err := one.MapAt(7); err != nil || m[19] != 1519 {
		t.Errorf("single map at 7: %v, %v", m, err)
	}
}

func TestVelocityFileRefuses(t *testing.T) {
	if _, err := OpenVelocity(writeVel(t, []int{0, 1, 70, 70}, nil)); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty array: %v", err)
	}
	if _, err := OpenVelocity(writeVel(t, []int{2, 3, 4, 5}, make([]float32, 120))); err == nil || !strings.Contains(err.Error(), "not a velocity array") {
		t.Errorf("4-D array with 3 channels: %v", err)
	}
	v := make([]float32, 2*20)
	for i := range v {
		v[i] = 2000
	}
	v[20+7] = float32(math.Inf(1))
	v[3] = -1
	f, err := OpenVelocity(writeVel(t, []int{2, 1, 4, 5}, v))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Maps(0, 2); err == nil || !strings.Contains(err.Error(), "sample 1 has +Inf at cell (z=1, x=2)") {
		t.Errorf("Inf: %v", err)
	}
	if _, err := f.Resized(0, 8, 10); err == nil || !strings.Contains(err.Error(), "must be > 0") {
		t.Errorf("negative velocity: %v", err)
	}
}

func TestVelocityFileResized(t *testing.T) {
	v := make([]float32, 70*70)
	for i := range v {
		v[i] = 1500 + float32(i/70)*10
	}
	f, err := OpenVelocity(writeVel(t, []int{1, 1, 70, 70}, v))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	same, err := f.Resized(0, 70, 70)
	if err != nil || same[70*69] != v[70*69] {
		t.Fatalf("same size: %v", err)
	}
	small, err := f.Resized(0, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 64*64)
	ResizeBilinear(want, 64, 64, v, 70, 70)
	for i := range want {
		if small[i] != want[i] {
			t.Fatalf("resized cell %d = %v, ResizeBilinear gives %v", i, small[i], want[i])
		}
	}
}
