package nn

import (
	"math"
	"math/rand/v2"

	"genfwi/tensor"
)

// Initialisers fill t in place from rng; fanIn and fanOut are the number of
// inputs and outputs of one unit (for a conv weight (F, C, KH, KW):
// fanIn = C·KH·KW, fanOut = F·KH·KW).

// Normal fills t with N(0, std²).
func Normal(t *tensor.Tensor, std float64, rng *rand.Rand) {
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64() * std)
	}
}

// UniformInit fills t with U(-bound, bound).
func UniformInit(t *tensor.Tensor, bound float64, rng *rand.Rand) {
	for i := range t.Data {
		t.Data[i] = float32((2*rng.Float64() - 1) * bound)
	}
}

// KaimingNormal fills t with N(0, gain²/fanIn); gain √2 suits ReLU.
func KaimingNormal(t *tensor.Tensor, fanIn int, gain float64, rng *rand.Rand) {
	Normal(t, gain/math.Sqrt(float64(fanIn)), rng)
}

// KaimingUniform fills t with U(-b, b), b = gain·√(3/fanIn). With
// gain = √(1/3) (PyTorch's a=√5 default for Linear and Conv layers) this is
// b = 1/√fanIn.
func KaimingUniform(t *tensor.Tensor, fanIn int, gain float64, rng *rand.Rand) {
	UniformInit(t, gain*math.Sqrt(3/float64(fanIn)), rng)
}

// GlorotUniform fills t with U(-b, b), b = gain·√(6/(fanIn+fanOut)) (Xavier).
func GlorotUniform(t *tensor.Tensor, fanIn, fanOut int, gain float64, rng *rand.Rand) {
	UniformInit(t, gain*math.Sqrt(6/float64(fanIn+fanOut)), rng)
}

// GlorotNormal fills t with N(0, gain²·2/(fanIn+fanOut)).
func GlorotNormal(t *tensor.Tensor, fanIn, fanOut int, gain float64, rng *rand.Rand) {
	Normal(t, gain*math.Sqrt(2/float64(fanIn+fanOut)), rng)
}

// Zeros sets t to 0.
func Zeros(t *tensor.Tensor) { t.Zero() }
