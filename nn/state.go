package nn

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"genfwi/tensor"
)

// StatePath returns the training-state file that belongs to the model
// checkpoint path: "x.safetensors" → "x.state.safetensors".
func StatePath(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + ".state.safetensors"
}

// TrainState is what a run needs beyond the weights to continue exactly:
// the step counter, the optimiser's state, the RNG that drives batches,
// noise and dropout, and optionally an EMA of the weights.
type TrainState struct {
	Step int
	Opt  Optimizer
	RNG  *rand.PCG // may be nil
	EMA  *EMA      // may be nil
}

// SaveTrainState writes s to path (use StatePath) as safetensors, atomically.
func SaveTrainState(path string, s *TrainState) error {
	ts, meta := s.Opt.State()
	m := map[string]string{"format": "genfwi-train-state", "step": strconv.Itoa(s.Step)}
	for k, v := range meta {
		m[k] = v
	}
	if s.RNG != nil {
		b, err := s.RNG.MarshalBinary()
		if err != nil {
			return fmt.Errorf("writing %s: rng: %w", path, err)
		}
		m["rng_pcg"] = base64.StdEncoding.EncodeToString(b)
	}
	if s.EMA != nil {
		ts = append(ts, Named{"ema.shadow", tensor.FromSlice(s.EMA.Shadow, len(s.EMA.Shadow))})
		m["ema_updates"] = strconv.Itoa(s.EMA.N)
	}
	return WriteSafetensors(path, ts, m)
}

// LoadTrainState restores s (whose Opt, RNG and EMA must already exist,
// configured like the saved run) from path for a model with n parameters.
// It returns an error if the file is corrupt, belongs to another optimiser
// or model size, or lacks a saved RNG/EMA that s expects.
func LoadTrainState(path string, s *TrainState, n int) error {
	ts, meta, err := ReadSafetensors(path)
	if err != nil {
		return err
	}
	if meta["format"] != "genfwi-train-state" {
		return fmt.Errorf("reading %s: not a genfwi training-state file (format %q)", path, meta["format"])
	}
	step, err := strconv.Atoi(meta["step"])
	if err != nil {
		return fmt.Errorf("reading %s: step %q: %w", path, meta["step"], err)
	}
	byName := map[string]*tensor.Tensor{}
	for _, t := range ts {
		byName[t.Name] = t.T
	}
	if err := s.Opt.SetState(byName, meta, n); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if s.RNG != nil {
		b, err := base64.StdEncoding.DecodeString(meta["rng_pcg"])
		if err != nil || meta["rng_pcg"] == "" {
			return fmt.Errorf("reading %s: missing or invalid RNG state", path)
		}
		if err := s.RNG.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("reading %s: RNG state: %w", path, err)
		}
	}
	if s.EMA != nil {
		t, ok := byName["ema.shadow"]
		if !ok || len(t.Data) != n {
			return fmt.Errorf("reading %s: missing EMA weights or wrong size for %d parameters", path, n)
		}
		if s.EMA.N, err = emaUpdates(meta); err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		s.EMA.Shadow = append(s.EMA.Shadow[:0], t.Data...)
	}
	s.Step = step
	return nil
}

// emaUpdates returns the EMA's update count (EMA.N) recorded in a training
// state. States store it as "ema_updates". States written before nn.EMA
// counted like LitEma store "ema_n" instead, the counter c of the older rule
// d = min(Decay, (1+c)/(10+c)); the same next decay under the current rule
// needs N = c − 1, so a legacy state resumes exactly as it would have run.
// (diffusion.Model.NewEMA started c at 1, so for those states N = c − 1 is
// also the true number of updates.)
func emaUpdates(meta map[string]string) (int, error) {
	if v, ok := meta["ema_updates"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("ema_updates %q: want a count >= 0", v)
		}
		return n, nil
	}
	c, err := strconv.Atoi(meta["ema_n"])
	if err != nil {
		return 0, fmt.Errorf("missing EMA update count (ema_updates, or legacy ema_n %q)", meta["ema_n"])
	}
	return c - 1, nil
}
