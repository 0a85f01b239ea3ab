package cli

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress reports the progress of a long job (with rate and ETA) on stderr.
// It is safe for concurrent use: workers call Add from many goroutines.
// When quiet, every method is a no-op.
type Progress struct {
	bar *progressbar.ProgressBar
}

// NewProgress starts a progress bar over total units described by desc.
// A nil or quiet env yields a silent Progress.
func NewProgress(env *Env, total int, desc string) *Progress {
	if env == nil || env.Quiet || env.Stderr == nil {
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
		_ = p.bar.Add(n)
	}
}

// Describe changes the text shown before the bar (e.g. the current loss).
func (p *Progress) Describe(s string) {
	if p.bar != nil {
		p.bar.Describe(s)
	}
}

// Finish completes the bar and ends its line.
func (p *Progress) Finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
