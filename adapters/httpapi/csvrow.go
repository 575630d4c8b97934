package httpapi

import (
	"unicode"
	"unicode/utf8"
)

// appendCSVField appends one cell as encoding/csv's Writer writes it with
// UseCRLF (the exports' writer), byte for byte: quoted when it holds a
// comma, a quote or a line break, begins with a space, or is `\.`; a quote
// doubled inside quotes, a line feed written as CR LF and a lone carriage
// return dropped. It lets an export write a row from the bytes the
// database sent, without a string per cell.
func appendCSVField(dst, field []byte) []byte {
	if !csvNeedsQuotes(field) {
		return append(dst, field...)
	}
	dst = append(dst, '"')
	for len(field) > 0 {
		i := 0
		for i < len(field) && !csvEscaped[field[i]] {
			i++
		}
		dst = append(dst, field[:i]...)
		if i == len(field) {
			break
		}
		switch field[i] {
		case '"':
			dst = append(dst, '"', '"')
		case '\n':
			dst = append(dst, '\r', '\n')
		}
		field = field[i+1:]
	}
	return append(dst, '"')
}

// csvEscaped marks the bytes a quoted cell does not copy as they are: a
// quote (doubled), a line feed (CR LF) and a carriage return (dropped).
var csvEscaped = [256]bool{'"': true, '\r': true, '\n': true}

// csvQuoted marks the bytes that make encoding/csv quote a cell.
var csvQuoted = [256]bool{',': true, '"': true, '\r': true, '\n': true}

// csvNeedsQuotes is encoding/csv's rule for a comma-separated cell.
func csvNeedsQuotes(field []byte) bool {
	if len(field) == 0 {
		return false
	}
	if len(field) == 2 && field[0] == '\\' && field[1] == '.' {
		return true
	}
	for _, c := range field {
		if csvQuoted[c] {
			return true
		}
	}
	r, _ := utf8.DecodeRune(field)
	return unicode.IsSpace(r)
}
