package invnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	"genfwi/autograd"
	"genfwi/internal/rundir"
	"genfwi/metrics"
	"genfwi/nn"
	"genfwi/openfwi"
	"genfwi/tensor"
)

// Format is the checkpoint metadata "format" value of InversionNet models.
const Format = "genfwi-invnet"

// ModelFile is the final network of a run (and of every checkpoint
// directory); the run directory's layout is rundir's.
const ModelFile = rundir.ModelFile

// Checkpoint metadata keys.
const (
	metaConfig = "invnet_config" // the whole Config (JSON)
	metaNorm   = "norm"          // openfwi.Norm (JSON)
	metaData   = "data"          // Pairs.Describe of the training pairs
	metaStep   = "step"
	metaEpoch  = "epoch"
)

// Model is a trained InversionNet with what inference needs: the
// normalisation of its input and its training configuration.
type Model struct {
	// Net is the network, in eval mode (BatchNorm running statistics).
	Net *Net
	// Config is the training configuration.
	Config Config
	// Norm normalises the seismic input and de-normalises the output.
	Norm openfwi.Norm
	// Path is the checkpoint file the model was read from ("" if new).
	Path string
	// Step is the training step of the weights.
	Step int
	// Data describes the training pairs.
	Data string
}

// Label names the model in figures: "InversionNet", or "UPFWI" for a
// network trained without labels.
func (m *Model) Label() string {
	if m.Config.Train.Method == "upfwi" {
		return "UPFWI"
	}
	return "InversionNet"
}

// save writes the model's weights and BatchNorm statistics with the
// configuration, normalisation and extra metadata to path, atomically.
func (m *Model) save(path string, extra map[string]string) error {
	cj, err := json.Marshal(m.Config)
	if err != nil {
		return err
	}
	nj, err := json.Marshal(m.Norm)
	if err != nil {
		return err
	}
	meta := map[string]string{metaConfig: string(cj), metaNorm: string(nj), metaData: m.Data}
	return nn.SaveCheckpoint(path, Format, m.Net, m.Config.Network, meta, extra)
}

// LatestCheckpoint returns the model file of the latest complete checkpoint
// in a run directory and its step, or an error wrapping fs.ErrNotExist.
func LatestCheckpoint(dir string) (string, int, error) { return rundir.Latest(dir) }

// ModelPath resolves a model argument: a .safetensors file as is, a run
// directory to its final model.safetensors, or failing that to its latest
// checkpoint.
func ModelPath(arg string) (string, error) { return rundir.ModelPath(arg, "an InversionNet") }

// LoadModel reads a trained InversionNet from a run directory or a
// checkpoint file (see ModelPath), in eval mode.
func LoadModel(arg string) (*Model, error) {
	path, err := ModelPath(arg)
	if err != nil {
		return nil, err
	}
	meta, err := nn.CheckpointMeta(path, Format, "an InversionNet")
	if err != nil {
		return nil, err
	}
	cfg, err := ParseConfig([]byte(meta[metaConfig]), path)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: *cfg, Path: path, Data: meta[metaData]}
	if err := json.Unmarshal([]byte(meta[metaNorm]), &m.Norm); err != nil {
		return nil, fmt.Errorf("reading %s: no normalisation (%s): %w", path, metaNorm, err)
	}
	if !(m.Norm.DataMax > m.Norm.DataMin) || !(m.Norm.LabelMax > m.Norm.LabelMin) {
		return nil, fmt.Errorf("reading %s: invalid normalisation %+v", path, m.Norm)
	}
	if m.Net, err = New(cfg.Network, rand.New(rand.NewPCG(0, 0))); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if _, err := nn.LoadModel(path, m.Net.Arena, m.Net.Buffers()); err != nil {
		return nil, err
	}
	m.Step, _ = strconv.Atoi(meta[metaStep])
	m.Net.SetTraining(false)
	return m, nil
}

// Input writes the network input of one raw seismic sample (5×1000×70)
// into dst (5×InputT()×70): OpenFWI's log-min-max normalisation, then
// every SampleTemporal-th time sample. scratch must hold 350 000 values.
func Input(cfg NetConfig, norm openfwi.Norm, dst, raw, scratch []float32) {
	// The normalisation is element-wise, so decimating first gives the same
	// values bit for bit with SampleTemporal times fewer log1p calls (they
	// were 15 % of a cpu-preset training step, on one core).
	decimate(cfg, scratch, raw)
	n := Shots * cfg.InputT() * Receivers
	norm.Data(dst[:n], scratch[:n])
}

// decimate keeps every SampleTemporal-th time sample of a raw or normalised
// sample (OpenFWI's data[:, :, ::k, :]).
func decimate(cfg NetConfig, dst, full []float32) {
	s, t := cfg.SampleTemporal, cfg.InputT()
	for sh := 0; sh < Shots; sh++ {
		for i := 0; i < t; i++ {
			src := full[(sh*NT+i*s)*Receivers:][:Receivers]
			copy(dst[(sh*t+i)*Receivers:][:Receivers], src)
		}
	}
}

// PredictOptions configure Predict.
type PredictOptions struct {
	// Noise is the standard deviation of Gaussian noise added to the
	// normalised seismic at full resolution before decimation (0 = clean;
	// the Table 8 setting of WaveDiffusion is 0.05).
	Noise float64
	// Seed drives the noise.
	Seed uint64
	// Batch is the number of samples per forward pass (0: 16).
	Batch int
	// OnBatch, if set, is called after every batch with the samples done.
	OnBatch func(done int)
}

// Prediction holds the outputs of Predict.
type Prediction struct {
	// Vel is n×4 900 velocity in m/s.
	Vel []float32
	// NoisyNorm is the normalised full-resolution seismic the network saw
	// before decimation (with the noise), n×350 000.
	NoisyNorm []float32
}

// noiseStream seeds the input noise of Predict (the same stream as
// wavediff's inversion uses for its noise).
const noiseStream = 0x6e6f6973

// Predict maps raw seismic (n whole 5×1000×70 samples, physical units) to
// velocity in m/s: normalise, optionally add noise, decimate, forward in
// eval mode, de-normalise. It checks ctx between batches.
func (m *Model) Predict(ctx context.Context, seis []float32, o PredictOptions) (*Prediction, error) {
	n := len(seis) / openfwi.DataLen
	if n == 0 || n*openfwi.DataLen != len(seis) {
		return nil, fmt.Errorf("invnet: %d seismic values are not whole 5×1000×70 samples", len(seis))
	}
	bs := o.Batch
	if bs <= 0 {
		bs = 16
	}
	rng := rand.New(rand.NewPCG(o.Seed, noiseStream))
	res := &Prediction{Vel: make([]float32, n*openfwi.ModelLen), NoisyNorm: make([]float32, n*openfwi.DataLen)}
	m.Norm.Data(res.NoisyNorm, seis)
	if o.Noise > 0 {
		for i := range res.NoisyNorm {
			res.NoisyNorm[i] += float32(o.Noise * rng.NormFloat64())
		}
	}
	cfg := m.Net.Cfg
	per := Shots * cfg.InputT() * Receivers
	m.Net.SetTraining(false)
	tp := autograd.NewTape()
	defer tp.Free()
	tp.NoGrad = true
	for lo := 0; lo < n; lo += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(n, lo+bs)
		x := tensor.New(hi-lo, Shots, cfg.InputT(), Receivers)
		for i := lo; i < hi; i++ {
			decimate(cfg, x.Data[(i-lo)*per:(i-lo+1)*per], res.NoisyNorm[i*openfwi.DataLen:(i+1)*openfwi.DataLen])
		}
		tp.Reset()
		y, err := m.Net.Forward(tp.Const(x))
		if err != nil {
			return nil, err
		}
		m.Norm.LabelInverse(res.Vel[lo*openfwi.ModelLen:hi*openfwi.ModelLen], y.Value.Data)
		if o.OnBatch != nil {
			o.OnBatch(hi)
		}
	}
	return res, nil
}

// Scores returns the OpenFWI metrics of pred against truth (both n×4 900
// m/s): MAE/RMSE on the normalised scale with SSIM (test.py's aggregate),
// and the same in m/s.
func Scores(truth, pred []float32) (norm, ms metrics.Scores, err error) {
	if len(truth) != len(pred) || len(truth)%openfwi.ModelLen != 0 || len(truth) == 0 {
		return norm, ms, errors.New("invnet: truth and prediction must hold the same whole number of 70×70 maps")
	}
	var a, b metrics.Summary
	for i := 0; i < len(truth)/openfwi.ModelLen; i++ {
		t, p := truth[i*openfwi.ModelLen:(i+1)*openfwi.ModelLen], pred[i*openfwi.ModelLen:(i+1)*openfwi.ModelLen]
		a.Add(metrics.Velocity(t, p, NZ, NX))
		b.Add(metrics.VelocityMS(t, p, NZ, NX))
	}
	norm, ms = a.Mean(), b.Mean()
	norm.RMSE, ms.RMSE = a.MeanRMSE(), b.MeanRMSE()
	return norm, ms, nil
}
