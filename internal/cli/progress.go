package cli

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress reports the progress of a long job (with rate and ETA) on stderr.
// It is safe for concurrent use: workers call Add from many goroutines.
// When quiet, every method is a no-op.
type Progress struct {
	bar    *progressbar.ProgressBar
	shown  atomic.Bool // something was drawn (Add or Describe)
	done   atomic.Bool // Finish was called
	finish sync.Once
}

// NewProgress starts a progress bar over total units described by desc.
// A nil or quiet env, or total < 1, yields a silent Progress.
func NewProgress(env *Env, total int, desc string) *Progress {
	if env == nil || env.Quiet || env.Stderr == nil || total < 1 {
		return &Progress{}
	}
	w := env.Stderr
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200 * time.Millisecond),
		progressbar.OptionOnCompletion(func() { io.WriteString(w, "\n") }),
		progressbar.OptionSetWidth(30),
	}
	if f, ok := w.(*os.File); !ok || !isTerminal(f) {
		// Non-interactive: fewer redraws so logs stay readable.
		opts = append(opts, progressbar.OptionThrottle(5*time.Second))
	}
	return &Progress{bar: progressbar.NewOptions(total, opts...)}
}

// Add advances the bar by n units.
func (p *Progress) Add(n int) {
	if p.bar != nil {
		p.shown.Store(true)
		_ = p.bar.Add(n)
	}
}

// Drop removes n units from the total: work that turned out to need no
// doing (e.g. results read from an earlier run), so that neither the bar nor
// its ETA waits for it.
func (p *Progress) Drop(n int) {
	if p.bar != nil && n > 0 && !p.done.Load() {
		p.bar.ChangeMax(max(p.bar.GetMax()-n, 1))
	}
}

// Describe changes the text shown before the bar (e.g. the current loss).
// Once the bar is complete or finished it does nothing (the library would
// redraw the ended line without a newline).
func (p *Progress) Describe(s string) {
	if p.bar != nil && !p.done.Load() && !p.bar.IsFinished() {
		p.shown.Store(true)
		p.bar.Describe(s)
	}
}

// Finish ends the bar's line with a newline. The bar shows what was done:
// 100 % only if every unit was added, so after an interruption or an error
// it keeps the count reached. Only the first call does anything, so callers
// may both defer Finish and call it on the normal path.
func (p *Progress) Finish() {
	if p.bar == nil {
		return
	}
	p.finish.Do(func() {
		p.done.Store(true)
		switch st := p.bar.State(); {
		case p.bar.IsFinished():
			// Completed by Add: the bar has drawn 100 % and ended its line.
		case !p.shown.Load():
			// Nothing drawn, no line to end.
		case st.CurrentNum >= st.Max:
			_ = p.bar.Finish() // draws the final state, then the newline
		default:
			_ = p.bar.Exit() // keeps the last drawn state; ends the line
		}
	})
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
