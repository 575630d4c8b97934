package phone

import "sync"

// Memo remembers what Parse answered for the inputs it met, so that a
// number read again (a company's own number on every inbound text, a
// customer who texts again) costs a map lookup instead of libphonenumber's
// parse, whose regular expressions were most of the CPU a webhook spent on
// its own work (profiled under load). Parse depends on nothing but its
// input and region, so a remembered answer is the answer. Refusals are not
// remembered: they are rare, and their errors carry the input.
//
// A Memo holds at most its size of inputs; when full it forgets one
// arbitrary input for each new one. The zero value and a nil *Memo parse
// every time. It is safe for concurrent use.
type Memo struct {
	mu    sync.Mutex
	size  int
	known map[memoKey]Number
}

type memoKey struct{ input, region string }

// DefaultMemoSize is how many inputs NewMemo remembers when given no size.
const DefaultMemoSize = 10000

// NewMemo returns a Memo of size inputs (DefaultMemoSize when size <= 0).
func NewMemo(size int) *Memo {
	if size <= 0 {
		size = DefaultMemoSize
	}
	return &Memo{size: size, known: make(map[memoKey]Number)}
}

// Parse answers as Parse(input, defaultRegion) does.
func (m *Memo) Parse(input, defaultRegion string) (Number, error) {
	if m == nil || m.size == 0 {
		return Parse(input, defaultRegion)
	}
	k := memoKey{input, defaultRegion}
	m.mu.Lock()
	n, ok := m.known[k]
	m.mu.Unlock()
	if ok {
		return n, nil
	}
	n, err := Parse(input, defaultRegion)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.known) >= m.size {
		for old := range m.known {
			delete(m.known, old)
			break
		}
	}
	m.known[k] = n
	return n, nil
}
