package wave

import "sync"

// bufCache keeps float32 work buffers (wavefields, tapes) between calls so
// that repeated calls (FWI iterations, dataset generation) do not pay page
// faults for hundreds of MB per call. Buffers come back with arbitrary
// contents: callers clear what must start at zero.
type bufCache struct {
	mu   sync.Mutex
	free map[int][][]float32
	next int // stagger slot of the next new buffer
}

// Stagger: Go's large allocations start on page boundaries, so every field
// would share the same address modulo 4 KiB and the stencil's loads from one
// field would alias, in the load/store unit, the stores to another (false
// dependencies; measured on OpenFWI: a single-thread forward took 27.2 ms
// with aligned fields and 24.5 ms with fields offset by about 1 KiB). New
// buffers therefore start staggerStep values apart modulo staggerSlots
// slots; the coefficient arrays take their own slots (newRun).
const (
	staggerStep  = 144 // values: 576 bytes for float32, 1152 for float64
	staggerSlots = 7
)

// makeStaggered returns a zeroed slice of n values starting at stagger slot
// slot (see staggerStep).
func makeStaggered[T float](n, slot int) []T {
	off := (slot % staggerSlots) * staggerStep
	b := make([]T, n+staggerSlots*staggerStep)
	return b[off : off+n : off+n]
}

// getBuf returns a buffer of n values: a cached one for float32, a new
// zeroed one otherwise.
func getBuf[T float](s *Simulator, n int) []T {
	var z T
	if _, ok := any(z).(float32); ok {
		c := s.bufs
		c.mu.Lock()
		if l := c.free[n]; len(l) > 0 {
			b := l[len(l)-1]
			c.free[n] = l[:len(l)-1]
			c.mu.Unlock()
			return any(b).([]T)
		}
		c.mu.Unlock()
	}
	c := s.bufs
	c.mu.Lock()
	slot := c.next
	c.next++
	c.mu.Unlock()
	return makeStaggered[T](n, slot)
}

// putBuf hands float32 buffers back to the cache; others are dropped.
func putBuf[T float](s *Simulator, bs ...[]T) {
	c := s.bufs
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range bs {
		if b32, ok := any(b).([]float32); ok && b32 != nil {
			if c.free == nil {
				c.free = map[int][][]float32{}
			}
			c.free[len(b32)] = append(c.free[len(b32)], b32)
		}
	}
}

// FreeBuffers drops the work buffers the simulator keeps for reuse between
// calls (at most what one call used: per shot in flight two to four
// wavefields and, in Gradient and the Born adjoints, a tape within
// Options.MemoryBudget), and those of the simulators sharing its cache
// (WithShots).
func (s *Simulator) FreeBuffers() {
	s.bufs.mu.Lock()
	s.bufs.free = nil
	s.bufs.mu.Unlock()
}
