package injection

import "fmt"

// Action is what to do with a screened text.
type Action string

// The actions, from mildest to strictest.
const (
	Allow Action = "allow"
	Flag  Action = "flag"
	Block Action = "block"
)

// Policy holds a tenant's thresholds. Direct text is what the user and
// the system prompt say; indirect text is untrusted content such as tool
// results and retrieved documents, which should never carry instructions
// and so usually gets stricter thresholds.
type Policy struct {
	Block         float64 `json:"block"`
	Flag          float64 `json:"flag"`
	IndirectBlock float64 `json:"indirect_block"`
	IndirectFlag  float64 `json:"indirect_flag"`
}

// DefaultPolicy uses the thresholds the trainer derived from
// cross-validation: block at about 1% false positives, flag at about 5%.
func DefaultPolicy() Policy {
	return Policy{
		Block:         DefaultBlockThreshold,
		Flag:          DefaultFlagThreshold,
		IndirectBlock: DefaultFlagThreshold,
		IndirectFlag:  DefaultFlagThreshold / 2,
	}
}

// Validate checks that thresholds are probabilities and that flagging
// happens no later than blocking.
func (p Policy) Validate() error {
	for _, v := range []float64{p.Block, p.Flag, p.IndirectBlock, p.IndirectFlag} {
		if v <= 0 || v > 1 {
			return fmt.Errorf("injection thresholds must lie in (0, 1], got %v", v)
		}
	}
	if p.Flag > p.Block || p.IndirectFlag > p.IndirectBlock {
		return fmt.Errorf("injection flag threshold must not exceed the block threshold")
	}
	return nil
}

// Decide maps a probability to an action.
func (p Policy) Decide(prob float64, untrusted bool) Action {
	block, flag := p.Block, p.Flag
	if untrusted {
		block, flag = p.IndirectBlock, p.IndirectFlag
	}
	switch {
	case prob >= block:
		return Block
	case prob >= flag:
		return Flag
	}
	return Allow
}
