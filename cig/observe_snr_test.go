package cig

import (
	"context"
	"math"
	"testing"
)

// TestObserveSNRZeroDB: ObserveSNR adds noise at 0 dB (‖n‖ = ‖d‖), which
// Observe's SNRdB = 0 (noise-free) cannot express, with the same sources
// as Observe for the same seed.
func TestObserveSNRZeroDB(t *testing.T) {
	cfg := SurveyConfig{Nz: 12, Nx: 12, H: 10, Shots: 2, SourceDepth: 10, Receivers: 12, ReceiverDepth: 10,
		T: 0.2, Dt: 0.001, Freq: 15, HighPass: 3, HighPassOrder: 5, Order: 4, NB: 8, Offsets: []int{0}}
	s, err := NewSurvey(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, 144)
	for i := range v {
		v[i] = 2000 + float32(i/12)*50
	}
	clean, err := s.Observe(context.Background(), v, 3)
	if err != nil {
		t.Fatal(err)
	}
	if clean.Noise != nil {
		t.Fatal("SNRdB 0 in the survey must mean noise-free")
	}
	for _, snr := range []float64{0, -3, 12} {
		o, err := s.ObserveSNR(context.Background(), v, 3, snr)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(o.SNRdB-snr) > 1e-4 {
			t.Errorf("requested %g dB, realised %g dB", snr, o.SNRdB)
		}
		for i := range o.Sources {
			if o.Sources[i] != clean.Sources[i] {
				t.Fatal("noise moved the sources")
			}
		}
	}
	if _, err := s.ObserveSNR(context.Background(), v, 3, math.NaN()); err == nil {
		t.Error("NaN SNR accepted")
	}
}
