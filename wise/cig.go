package wise

import (
	"context"
	"encoding/json"
	"fmt"

	"genfwi/cig"
)

// CIGPairs serves a data set built by the cig package as Pairs.
type CIGPairs struct {
	*cig.Dataset
	info DataInfo
}

// OpenCIG opens the CIG data set in dir (cig.Open) for training,
// validation or evaluation.
func OpenCIG(dir string) (*CIGPairs, error) {
	d, err := cig.Open(dir)
	if err != nil {
		return nil, err
	}
	m := d.Meta()
	if m.MaxY <= 0 {
		d.Close()
		return nil, fmt.Errorf("CIG data set %s has no normalisation constant yet (max_y = 0): build it first", dir)
	}
	sv, err := json.Marshal(m.Survey)
	if err != nil {
		d.Close()
		return nil, err
	}
	src := m.Dataset
	if m.Split != "" {
		src += " " + m.Split
	}
	if m.Source != "" {
		src += ": " + m.Source
	}
	return &CIGPairs{Dataset: d, info: DataInfo{Nz: m.Nz, Nx: m.Nx, H: m.H, Offsets: m.Offsets, MaxY: m.MaxY, Source: src, Meta: sv}}, nil
}

// Info implements Pairs.
func (c *CIGPairs) Info() DataInfo { return c.info }

// Survey returns the acquisition the model's training gathers were made
// with (cig.Survey), so that new observations are migrated the same way.
func (m *Model) Survey() (*cig.Survey, error) {
	if len(m.Data.Meta) == 0 {
		return nil, fmt.Errorf("model %s does not record its survey (trained on data without one)", m.Path)
	}
	var sc cig.SurveyConfig
	if err := json.Unmarshal(m.Data.Meta, &sc); err != nil {
		return nil, fmt.Errorf("model %s: survey configuration: %w", m.Path, err)
	}
	return cig.NewSurvey(sc)
}

// Observe simulates the observed data of velocity vel (m/s, Nz×Nx of the
// model's grid) with the model's survey (jittered sources and noise drawn
// from seed) and returns its gather, imaged in the 1d-special background of
// vel and normalised by the training data's MaxY, with the observation.
func (m *Model) Observe(ctx context.Context, vel []float32, seed uint64) ([]float32, *cig.Obs, error) {
	if len(vel) != m.Data.Nz*m.Data.Nx {
		return nil, nil, fmt.Errorf("velocity map has %d values, the model's grid is %d×%d", len(vel), m.Data.Nz, m.Data.Nx)
	}
	s, err := m.Survey()
	if err != nil {
		return nil, nil, err
	}
	obs, err := s.Observe(ctx, vel, seed)
	if err != nil {
		return nil, nil, err
	}
	g := make([]float32, s.GatherLen())
	if err := s.Gather(ctx, obs, nil, m.Data.MaxY, g); err != nil {
		return nil, nil, err
	}
	return g, obs, nil
}
