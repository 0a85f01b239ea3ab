package experiments

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"genfwi/wise"
)

// PosteriorOptions are the options of Posterior.
type PosteriorOptions struct {
	// Model is the trained WISE network.
	Model *wise.Model
	// The observation is either Gather (a CIG data set's gather, already
	// on the model's max_y) or Velocity, whose data are simulated with the
	// model's survey (noise and source jitter seeded by ObsSeed) and
	// migrated. Truth (optional) scores the posterior.
	Gather, Velocity, Truth []float32
	ObsSeed                 uint64
	// Name and Index name the observation in titles and in the report.
	Name  string
	Index int
	// N posterior samples (0 = the model config's) drawn with Seed.
	N    int
	Seed uint64
	// Figures are the figure options (the title is set here).
	Figures wise.FigureOptions
	// Report holds fields the caller adds to metrics.json (method,
	// source...); Posterior adds the timings and the observation's.
	Report map[string]any
	Out    string
	// Log, if set, reports the steps.
	Log func(msg string)
}

// Posterior draws WISE posterior samples of one observation and writes them
// with their summary and figures (wise.WritePosterior) to o.Out.
func Posterior(ctx context.Context, o PosteriorOptions) (*wise.PosteriorReport, error) {
	m := o.Model
	n := o.N
	if n == 0 {
		n = m.Config.Posterior.Samples
	}
	if o.Report == nil {
		o.Report = map[string]any{}
	}
	t0 := time.Now()
	gather := o.Gather
	if o.Velocity != nil {
		if o.Log != nil {
			o.Log(fmt.Sprintf("simulating and migrating the data of %s map %d (obs seed %d)", o.Name, o.Index, o.ObsSeed))
		}
		g, obs, err := m.Observe(ctx, o.Velocity, o.ObsSeed)
		if err != nil {
			return nil, &InputError{"Velocity", fmt.Errorf("%s map %d: %w", o.Name, o.Index, err)}
		}
		gather = g
		o.Report["obs_seed"], o.Report["snr_db"] = o.ObsSeed, obs.SNRdB
	}
	if err := networkView(m, gather); err != nil {
		return nil, err
	}
	o.Report["gather_seconds"] = time.Since(t0).Seconds()
	t1 := time.Now()
	p, err := m.Sample(ctx, gather, n, o.Seed)
	if err != nil {
		return nil, err
	}
	o.Report["sample_seconds"] = time.Since(t1).Seconds()
	fo := o.Figures
	fo.Title = fmt.Sprintf("WISE posterior: %s #%d", filepath.Base(o.Name), o.Index)
	return wise.WritePosterior(o.Out, p, o.Truth, m.Data.H, fo, o.Report)
}

// networkView turns a gather into what the network was trained on: for an
// RTM-only network the zero-offset image repeated over every offset.
func networkView(m *wise.Model, gather []float32) error {
	if !m.Config.Train.RTMOnly {
		return nil
	}
	k, err := m.Data.ZeroOffset()
	if err != nil {
		return err
	}
	wise.RepeatZeroOffset(gather, len(m.Data.Offsets), k)
	return nil
}
