// Package nntest provides helpers for the tests of packages whose networks
// are saved and loaded as nn checkpoints.
package nntest

import (
	"path/filepath"
	"testing"

	"genfwi/nn"
)

// RoundTrip saves a network with save, as file name in a temporary
// directory of t and with the extra metadata extra, and loads it back with
// load, failing t if either returns an error. It returns the loaded
// network, its metadata and the file's path.
func RoundTrip[N any](t testing.TB, name string, save func(path string, extra map[string]string) error, extra map[string]string,
	load func(path string) (N, map[string]string, error)) (N, map[string]string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := save(path, extra); err != nil {
		t.Fatal(err)
	}
	n, meta, err := load(path)
	if err != nil {
		t.Fatal(err)
	}
	return n, meta, path
}

// SameWeights fails t unless the safetensors files at uninterrupted and
// resumed hold the same tensors (names, sizes and values, in order): what a
// resumed training run must reproduce of the uninterrupted one.
func SameWeights(t testing.TB, uninterrupted, resumed string) {
	t.Helper()
	a, _, err := nn.ReadSafetensors(uninterrupted)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := nn.ReadSafetensors(resumed)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%s: %d tensors uninterrupted, %d resumed", filepath.Base(resumed), len(a), len(b))
	}
	for k := range a {
		ta, tb := a[k].T, b[k].T
		if a[k].Name != b[k].Name || len(ta.Data) != len(tb.Data) {
			t.Fatalf("%s: tensor %d: %s and %s differ in name or size", filepath.Base(resumed), k, a[k].Name, b[k].Name)
		}
		for i, v := range ta.Data {
			if tb.Data[i] != v {
				t.Fatalf("%s: %s[%d]: %v uninterrupted, %v resumed", filepath.Base(resumed), a[k].Name, i, v, tb.Data[i])
			}
		}
	}
}
