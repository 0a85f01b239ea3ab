package experiments

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"genfwi/cig"
	"genfwi/models/flow"
	"genfwi/tensor"
	"genfwi/wise"
)

// untrainedWISE is the cpu-preset WISE network with ActNorm initialised on
// random data: enough to run the posterior driver, not to score it.
func untrainedWISE(t *testing.T, rtmOnly bool) *wise.Model {
	t.Helper()
	cfg, err := flow.NetworkPreset("cpu")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	net, err := flow.NewNetwork(*cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	sc := cig.DefaultSurveyConfig()
	const nz, nx = cig.DefaultNz, cig.DefaultNx
	if err := net.Init(tensor.Randn(rng, 1, 2, 1, nz, nx), tensor.Randn(rng, 1, 2, len(sc.Offsets), nz, nx), rng); err != nil {
		t.Fatal(err)
	}
	wcfg, err := wise.Preset("cpu")
	if err != nil {
		t.Fatal(err)
	}
	wcfg.Train.RTMOnly = rtmOnly
	return &wise.Model{Net: net, Config: *wcfg, Data: wise.DataInfo{Nz: nz, Nx: nx, H: sc.H, Offsets: sc.Offsets, MaxY: 1}, Path: "test"}
}

func TestPosteriorFromGather(t *testing.T) {
	m := untrainedWISE(t, true)
	inf := m.Data
	pix := inf.Nz * inf.Nx
	rng := rand.New(rand.NewPCG(7, 8))
	gather := make([]float32, len(inf.Offsets)*pix)
	for i := range gather {
		gather[i] = float32(rng.NormFloat64())
	}
	truth := make([]float32, pix)
	for i := range truth {
		truth[i] = 2000 + float32(i/inf.Nx)*20
	}
	out := t.TempDir()
	rep, err := Posterior(context.Background(), PosteriorOptions{Model: m, Gather: gather, Truth: truth, Name: "test.npy", Index: 3,
		N: 4, Seed: 1, Out: out, Report: map[string]any{"source": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Samples != 4 || rep.Scores == nil || rep.Extra["gather_seconds"] == nil || rep.Extra["source"] != "test" {
		t.Errorf("report %+v: want 4 samples, scores against the truth, the timings and the caller's fields", rep)
	}
	// RTM-only: every offset channel now holds the zero-offset image.
	k, err := inf.ZeroOffset()
	if err != nil {
		t.Fatal(err)
	}
	for c := range inf.Offsets {
		if gather[c*pix+5] != gather[k*pix+5] {
			t.Fatalf("offset %d not replaced by the zero-offset image", c)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "samples.npy")); err != nil {
		t.Error(err)
	}
}
