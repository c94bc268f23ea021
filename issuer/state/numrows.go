package state

import "github.com/nalw/linkpass/regno"

// numRows holds the registrants' rows by the serial of their numbers
// (regno), beside byNumber: a public name search reads up to 50
// registrants by number, and a descent of the tree, a cache miss or more
// a level, cost as much of a search at 1,000,000 as the name index
// itself. A slot holds the row last written for a number of its serial,
// so a row found there is current when its number is the one asked for,
// and anything else is asked of the tree. A copy shares every chunk
// until it writes one, as the trees share their nodes.
type numRows struct {
	chunks []*[numChunk]string
	owned  []bool // the chunks this copy made, which it may write
}

const (
	numChunk = 1024
	// maxSerials bounds the serials kept here (16 bytes each, 64 MiB
	// at the bound); a register past it reads the rest from the tree.
	maxSerials = 1 << 22
)

// numSlot is the slot of a registration number, the prefix and then
// digits, the last of them the check digit.
func numSlot(number string) (int, bool) {
	p := len(regno.Prefix)
	if len(number) < p+2 || len(number) > p+10 || number[:p] != regno.Prefix {
		return 0, false
	}
	serial := 0
	for i := p; i < len(number); i++ {
		c := number[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if i < len(number)-1 {
			serial = serial*10 + int(c-'0')
		}
	}
	slot := serial - regno.FirstSerial
	return slot, slot >= 0 && slot < maxSerials
}

// get returns the row of the registrant with number, if it is here.
func (n *numRows) get(number string) (string, bool) {
	slot, ok := numSlot(number)
	if !ok || slot/numChunk >= len(n.chunks) {
		return "", false
	}
	c := n.chunks[slot/numChunk]
	if c == nil {
		return "", false
	}
	row := c[slot%numChunk]
	return row, row != "" && regNumber(row) == number
}

// set records row as the row of its registrant.
func (n *numRows) set(row string) {
	slot, ok := numSlot(regNumber(row))
	if !ok {
		return
	}
	i := slot / numChunk
	for i >= len(n.chunks) {
		n.chunks, n.owned = append(n.chunks, nil), append(n.owned, false)
	}
	if !n.owned[i] {
		c := new([numChunk]string)
		if n.chunks[i] != nil {
			*c = *n.chunks[i]
		}
		n.chunks[i], n.owned[i] = c, true
	}
	n.chunks[i][slot%numChunk] = row
}

// copy returns a copy to write, sharing n's chunks; n must not be
// written after.
func (n *numRows) copy() numRows {
	return numRows{chunks: append([]*[numChunk]string(nil), n.chunks...), owned: make([]bool, len(n.chunks))}
}
