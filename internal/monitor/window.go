package monitor

import (
	"fmt"
	"slices"
	"time"
)

// Descriptor names, the keys of Window.Histograms.
const (
	DescPromptChars    = "prompt_chars"
	DescResponseChars  = "response_chars"
	DescPromptTokens   = "prompt_tokens"
	DescResponseTokens = "response_tokens"
	DescScript         = "script"
	DescNonLatinShare  = "non_latin_share"
	DescPIIRate        = "pii_rate"
	DescRefusal        = "refusal"
	DescError          = "error"
)

// Window is the histograms of one stretch of traffic.
type Window struct {
	Start      time.Time             `json:"start"`
	End        time.Time             `json:"end"`
	Samples    uint64                `json:"samples"`
	Histograms map[string]*Histogram `json:"histograms"`
}

// lengthEdges bin sizes roughly logarithmically, since prompt and response
// lengths span four orders of magnitude.
var lengthEdges = []float64{0, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768}

// NewWindow returns an empty window with attest's fixed bins.
func NewWindow(start, end time.Time) *Window {
	return &Window{
		Start: start,
		End:   end,
		Histograms: map[string]*Histogram{
			DescPromptChars:    NewNumeric(lengthEdges...),
			DescResponseChars:  NewNumeric(lengthEdges...),
			DescPromptTokens:   NewNumeric(lengthEdges...),
			DescResponseTokens: NewNumeric(lengthEdges...),
			DescScript:         NewCategorical(Scripts...),
			DescNonLatinShare:  NewNumeric(0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
			DescPIIRate:        NewNumeric(0, 0.01, 0.5, 1, 2, 5, 10, 20),
			DescRefusal:        NewCategorical("no", "yes"),
			DescError:          NewCategorical("no", "yes"),
		},
	}
}

// Add counts one exchange.
func (w *Window) Add(d Descriptors) {
	h := w.Histograms
	h[DescPromptChars].Add(float64(d.PromptChars))
	h[DescResponseChars].Add(float64(d.ResponseChars))
	h[DescPromptTokens].Add(float64(d.PromptTokens))
	h[DescResponseTokens].Add(float64(d.ResponseTokens))
	h[DescScript].AddLabel(d.Script)
	h[DescNonLatinShare].Add(d.NonLatinShare)
	h[DescPIIRate].Add(d.PIIRate)
	h[DescRefusal].AddLabel(yesNo(d.Refusal))
	h[DescError].AddLabel(yesNo(d.Error))
	w.Samples++
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Merge folds another window into this one, for example hourly windows
// into a day. The result spans both.
func (w *Window) Merge(o *Window) error {
	if err := w.sameDescriptors(o); err != nil {
		return err
	}
	for name, h := range w.Histograms {
		if err := h.Merge(o.Histograms[name]); err != nil {
			return fmt.Errorf("descriptor %s: %w", name, err)
		}
	}
	w.Samples += o.Samples
	if o.Start.Before(w.Start) || w.Start.IsZero() {
		w.Start = o.Start
	}
	if o.End.After(w.End) {
		w.End = o.End
	}
	return nil
}

// Validate checks a window decoded from storage or a request.
func (w *Window) Validate() error {
	if len(w.Histograms) == 0 {
		return fmt.Errorf("window has no histograms")
	}
	for name, h := range w.Histograms {
		if h == nil {
			return fmt.Errorf("descriptor %s has no histogram", name)
		}
		if err := h.check(); err != nil {
			return fmt.Errorf("descriptor %s: %w", name, err)
		}
	}
	return nil
}

func (w *Window) names() []string {
	var names []string
	for n := range w.Histograms {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (w *Window) sameDescriptors(o *Window) error {
	if !slices.Equal(w.names(), o.names()) {
		return fmt.Errorf("windows describe different descriptors: %v and %v", w.names(), o.names())
	}
	return nil
}
