package httpapi

import (
	"bytes"
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
		i := bytes.IndexAny(field, "\"\r\n")
		if i < 0 {
			dst = append(dst, field...)
			break
		}
		dst = append(dst, field[:i]...)
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

// csvNeedsQuotes is encoding/csv's rule for a comma-separated cell.
func csvNeedsQuotes(field []byte) bool {
	if len(field) == 0 {
		return false
	}
	if len(field) == 2 && field[0] == '\\' && field[1] == '.' {
		return true
	}
	if bytes.ContainsAny(field, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRune(field)
	return unicode.IsSpace(r)
}
