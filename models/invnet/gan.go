package invnet

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// CriticFile is the critic's weights in a VelocityGAN checkpoint
// directory, next to the generator's model file; its optimiser state is
// nn.StatePath of it.
const CriticFile = "critic.safetensors"

// criticFormat is the checkpoint metadata "format" of a critic file.
const criticFormat = "genfwi-velocitygan-critic"

// streamCritic seeds the critic's initial weights, streamGP the
// interpolation weights α of a step's gradient penalty (| step).
const (
	streamCritic = 0x63726974 << 32
	streamGP     = 0x67702020 << 32
)

// gan is the adversarial half of a VelocityGAN run: the critic, its AdamW
// and the settings.
type gan struct {
	cfg    GANConfig
	critic *Critic
	opt    *nn.Adam
	state  *nn.TrainState
}

// newGAN builds the critic (weights from seed) and its optimiser.
func newGAN(c GANConfig, seed uint64, weightDecay float64) (*gan, error) {
	cr, err := NewCritic(c.CriticDims, rand.New(rand.NewPCG(seed, streamCritic)))
	if err != nil {
		return nil, err
	}
	opt := nn.NewAdamW()
	opt.Beta1, opt.Beta2, opt.WeightDecay = c.Beta1, c.Beta2, weightDecay
	return &gan{cfg: c, critic: cr, opt: opt, state: &nn.TrainState{Opt: opt}}, nil
}

// save writes the critic and its optimiser state into the checkpoint
// directory dir at step.
func (g *gan) save(dir string, step int) error {
	path := filepath.Join(dir, CriticFile)
	var bufs []*nn.Buffer
	for _, b := range g.critic.blocks {
		bufs = append(bufs, b.bn.Buffers()...)
	}
	if err := nn.SaveModel(path, g.critic.Arena, bufs, g.cfg, map[string]string{"format": criticFormat}); err != nil {
		return fmt.Errorf("saving the critic: %w", err)
	}
	g.state.Step = step
	return nn.SaveTrainState(nn.StatePath(path), g.state)
}

// load restores what save wrote into dir at step.
func (g *gan) load(dir string, step int) error {
	path := filepath.Join(dir, CriticFile)
	var bufs []*nn.Buffer
	for _, b := range g.critic.blocks {
		bufs = append(bufs, b.bn.Buffers()...)
	}
	meta, err := nn.LoadModel(path, g.critic.Arena, bufs)
	if err != nil {
		return fmt.Errorf("resuming the critic: %w", err)
	}
	if meta["format"] != criticFormat {
		return fmt.Errorf("resuming from %s: not a VelocityGAN critic (format %q)", path, meta["format"])
	}
	if err := nn.LoadTrainState(nn.StatePath(path), g.state, g.critic.Arena.NumParams()); err != nil {
		return fmt.Errorf("resuming the critic from %s: %w", path, err)
	}
	if g.state.Step != step {
		return fmt.Errorf("resuming the critic from %s: state is at step %d, the checkpoint at %d", path, g.state.Step, step)
	}
	return nil
}

// criticStep takes one AdamW step of the critic on real maps y and the
// generator's maps fake (both (B, 1, 70, 70), normalised), with the
// gradient penalty at x̃ = αy + (1−α)fake, α ~ U(0, 1) per sample from rng.
// It returns L_D and the penalty.
func (g *gan) criticStep(tp *autograd.Tape, y, fake *tensor.Tensor, lr float64, rng *rand.Rand) (lossD, gp float64, err error) {
	tp.Reset()
	g.critic.Arena.ZeroGrad()
	dReal, err := g.critic.Forward(tp.Const(y))
	if err != nil {
		return 0, 0, err
	}
	dFake, err := g.critic.Forward(tp.Const(fake))
	if err != nil {
		return 0, 0, err
	}
	mix := tensor.New(y.Shape...)
	per := len(y.Data) / y.Shape[0]
	for b := 0; b < y.Shape[0]; b++ {
		a := float32(rng.Float64())
		for i := b * per; i < (b+1)*per; i++ {
			mix.Data[i] = a*y.Data[i] + (1-a)*fake.Data[i]
		}
	}
	pen, err := g.critic.GradientPenalty(tp.Const(mix))
	if err != nil {
		return 0, 0, err
	}
	loss := autograd.Add(autograd.Sub(autograd.Mean(dFake, false), autograd.Mean(dReal, false)),
		autograd.Scale(pen, float32(g.cfg.LambdaGP)))
	autograd.Backward(loss)
	g.opt.Step(g.critic.Arena, lr)
	return float64(loss.Value.Data[0]), float64(pen.Value.Data[0]), nil
}

// adversarial returns −LambdaAdv·mean D(pred), the generator's
// adversarial term, on pred's tape.
func (g *gan) adversarial(pred *autograd.Var) (*autograd.Var, error) {
	d, err := g.critic.Forward(pred)
	if err != nil {
		return nil, err
	}
	return autograd.Scale(autograd.Mean(d, false), float32(-g.cfg.LambdaAdv)), nil
}
