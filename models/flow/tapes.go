package flow

import (
	"sync"

	"genfwi/autograd"
)

// tapePool lends inference tapes (NoGrad) to Glow.Sample and
// UNet.Summarize, so that repeated draws reuse one set of activation
// buffers. A fresh tape per call allocated, zeroed and page-faulted every
// activation anew: a third of the wise-cpu 8-sample draw in perf (kernel
// page faults plus runtime.memclrNoHeapPointers). sync.Pool keeps it safe
// for concurrent callers and lets the garbage collector drop idle tapes.
type tapePool struct{ p sync.Pool }

// get returns a reset inference tape.
func (tp *tapePool) get() *autograd.Tape {
	if t, ok := tp.p.Get().(*autograd.Tape); ok {
		return t
	}
	t := autograd.NewTape()
	t.NoGrad = true
	return t
}

// put resets t (every Var made from it becomes invalid) and keeps it for
// the next call.
func (tp *tapePool) put(t *autograd.Tape) {
	t.Reset()
	tp.p.Put(t)
}
