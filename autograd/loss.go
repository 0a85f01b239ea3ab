package autograd

import (
	"fmt"

	"genfwi/tensor"
)

// MSE returns mean((a-b)²) over all elements as a one-element Var.
// a and b must have the same number of elements. Gradients: ∂/∂a = 2(a-b)/n,
// ∂/∂b = -2(a-b)/n. The sum is accumulated in float64.
func MSE(a, b *Var) *Var {
	ad, bd := a.Value.Data, b.Value.Data
	if len(ad) != len(bd) {
		panic(fmt.Sprintf("autograd: MSE: shapes %v and %v differ", a.Value.Shape, b.Value.Shape))
	}
	out := newOut(false, []int{}, a, b)
	var s float64
	for i := range ad {
		d := float64(ad[i]) - float64(bd[i])
		s += d * d
	}
	n := float64(len(ad))
	out.Value.Data[0] = float32(s / n)
	return record(out, "MSE", []*Var{a, b}, func(g *tensor.Tensor) {
		c := float32(2/n) * g.Data[0]
		if a.requires {
			da := gradOf(a).Data
			tensor.ParallelRange(len(ad), minChunk, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					da[i] += c * (ad[i] - bd[i])
				}
			})
		}
		if b.requires {
			db := gradOf(b).Data
			for i := range bd {
				db[i] -= c * (ad[i] - bd[i])
			}
		}
	})
}

// L1 returns mean(|a-b|) over all elements as a one-element Var (subgradient
// 0 where a == b).
func L1(a, b *Var) *Var {
	return Mean(Abs(Sub(a, b)), false)
}
