package gen

import (
	"math"
	"slices"
)

// This file measures the map statistics of docs/datasets.md §4 on single maps, for real and
// generated maps alike. All functions take a 70×70 map [z][x] in m/s and do
// not modify it.

// ColumnLayers returns the runs of equal velocity down column x: the velocity
// of each run and its thickness in cells, top to bottom.
func ColumnLayers(m []float32, x int) (vel []float32, thick []int) {
	checkDst(m)
	for z := range NZ {
		v := m[z*NX+x]
		if len(vel) > 0 && vel[len(vel)-1] == v {
			thick[len(thick)-1]++
			continue
		}
		vel = append(vel, v)
		thick = append(thick, 1)
	}
	return vel, thick
}

// LaterallyInvariant reports whether every row of m is constant.
func LaterallyInvariant(m []float32) bool {
	for z := range NZ {
		for x := 1; x < NX; x++ {
			if m[z*NX+x] != m[z*NX] {
				return false
			}
		}
	}
	return true
}

// Plateaus returns the distinct velocities that occupy at least minCells
// cells, ascending: the layer velocities of a map whose interfaces are
// smeared (FlatFault-A), where smeared cells take many distinct values.
func Plateaus(m []float32, minCells int) []float32 {
	count := map[float32]int{}
	for _, v := range m {
		count[v]++
	}
	var out []float32
	for v, c := range count {
		if c >= minCells {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// InterfaceProfile returns the depth profile d(x), in cells, of the
// shallowest interface that stays inside the map at every column, for maps
// whose velocity increases down every column: with the distinct velocities
// v_1 < v_2 < ..., d(x) is the number of cells of column x slower than the
// midpoint of v_i and v_{i+1}, for the smallest i with 0 < d(x) < 70 for all
// x. ok is false when no interface qualifies.
func InterfaceProfile(m []float32) (d [NX]float64, ok bool) {
	vals := Plateaus(m, 1)
	for i := 0; i+1 < len(vals); i++ {
		mid := (vals[i] + vals[i+1]) / 2
		inside := true
		for x := range NX {
			n := 0
			for z := range NZ {
				if m[z*NX+x] < mid {
					n++
				}
			}
			d[x] = float64(n)
			if n == 0 || n == NZ {
				inside = false
				break
			}
		}
		if inside {
			return d, true
		}
	}
	return d, false
}

// Curvature holds the shape statistics of one interface profile d(x) (CurveVel).
type Curvature struct {
	// RMS is the root-mean-square deviation of d from its mean, cells.
	RMS float64
	// P2P is max(d) − min(d), cells.
	P2P float64
	// ThirdP2P is the peak-to-peak within columns 0–23, 23–46 and 46–69.
	ThirdP2P [3]float64
	// MaxSlope is max |d(x+1) − d(x)|, cells per column.
	MaxSlope float64
	// DominantK is the DFT wavenumber 1..35 of largest amplitude of d − mean
	// over the 70 columns (0 if d is constant).
	DominantK int
	// Extrema counts local extrema: sign changes of the non-zero slopes.
	Extrema int
}

// MeasureCurvature computes the Curvature statistics of a profile.
func MeasureCurvature(d [NX]float64) Curvature {
	var c Curvature
	mean := 0.0
	for _, v := range d {
		mean += v
	}
	mean /= NX
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range d {
		c.RMS += (v - mean) * (v - mean)
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	c.RMS = math.Sqrt(c.RMS / NX)
	c.P2P = hi - lo
	for t, r := range [3][2]int{{0, 23}, {23, 46}, {46, 69}} {
		lo, hi := math.Inf(1), math.Inf(-1)
		for x := r[0]; x <= r[1]; x++ {
			lo, hi = math.Min(lo, d[x]), math.Max(hi, d[x])
		}
		c.ThirdP2P[t] = hi - lo
	}
	prev := 0.0
	for x := 1; x < NX; x++ {
		s := d[x] - d[x-1]
		c.MaxSlope = math.Max(c.MaxSlope, math.Abs(s))
		if s != 0 {
			if prev != 0 && (s > 0) != (prev > 0) {
				c.Extrema++
			}
			prev = s
		}
	}
	best := 0.0
	for k := 1; k <= NX/2; k++ {
		var re, im float64
		for x, v := range d {
			re += (v - mean) * twiddle[k*x%NX][0]
			im += (v - mean) * twiddle[k*x%NX][1]
		}
		if a := math.Hypot(re, im); a > best+1e-9 {
			best, c.DominantK = a, k
		}
	}
	return c
}

// twiddle holds cos and −sin of 2πj/70 for the DFT of a profile.
var twiddle = func() (t [NX][2]float64) {
	for j := range t {
		a := 2 * math.Pi * float64(j) / NX
		t[j] = [2]float64{math.Cos(a), -math.Sin(a)}
	}
	return t
}()

// FaultStats holds the fault statistics of one map (FlatFault).
type FaultStats struct {
	// Dip is the fault dip from horizontal, degrees in [0, 90].
	Dip float64
	// Throw is the depth of the shallowest interface at the right edge
	// minus that at the left edge, cells (interfaces that leave the map
	// are skipped).
	Throw float64
	// Rows is the number of rows on which a fault trace was found.
	Rows int
}

// MeasureFault estimates the dip and throw of the fault of a faulted layered
// map. In every row it takes the column of the largest horizontal velocity
// jump (above jump m/s) as a fault-trace point — layers are flat or smooth,
// so in a row the fault makes the only large jump — and fits a line x = a·z
// + b by least squares; the dip is atan(1/|a|). The throw uses the shallowest
// interface inside the map, as InterfaceProfile, at columns 0 and 69, and is
// set even when ok is false (fewer than 4 rows show a jump, so no dip).
func MeasureFault(m []float32, jump float32) (f FaultStats, ok bool) {
	var zs, xs []float64
	for z := range NZ {
		best, bx := jump, -1
		for x := 0; x+1 < NX; x++ {
			if d := float32(math.Abs(float64(m[z*NX+x+1] - m[z*NX+x]))); d > best {
				best, bx = d, x
			}
		}
		if bx >= 0 {
			zs = append(zs, float64(z))
			xs = append(xs, float64(bx)+0.5)
		}
	}
	if d, ok := InterfaceProfile(m); ok {
		f.Throw = d[NX-1] - d[0]
	}
	f.Rows = len(zs)
	if len(zs) < 4 {
		return f, false
	}
	// One pass of outlier rejection: rows where an interface, not the
	// fault, gave the largest jump lie far from the line.
	a, b := fitLine(zs, xs)
	var zk, xk []float64
	for i := range zs {
		if math.Abs(xs[i]-(a*zs[i]+b)) <= 3 {
			zk, xk = append(zk, zs[i]), append(xk, xs[i])
		}
	}
	if len(zk) >= 4 {
		a, _ = fitLine(zk, xk)
	}
	f.Dip = math.Atan2(1, math.Abs(a)) * 180 / math.Pi
	return f, true
}

// fitLine returns the least-squares a, b of x ≈ a·z + b.
func fitLine(z, x []float64) (a, b float64) {
	n := float64(len(z))
	var sz, sx, szz, szx float64
	for i := range z {
		sz += z[i]
		sx += x[i]
		szz += z[i] * z[i]
		szx += z[i] * x[i]
	}
	den := n*szz - sz*sz
	if den == 0 {
		return 0, sx / n
	}
	a = (n*szx - sz*sx) / den
	return a, (sx - a*sz) / n
}
