package segments

// septets is c's size in GSM-7: 1 septet for a character of the basic table,
// 2 for one of the extension table, 0 when c is not GSM-7.
//
// The tables are GSM 03.38's (3GPP TS 23.038) default alphabet, as Twilio
// sends it. The basic table is listed in code order, a row of 16 codes a
// line; an extension character is sent as the escape code 0x1B followed by
// its own code, hence two septets. Nothing else is GSM-7:
//   - no national shift tables (Twilio does not use them);
//   - no lookalike substitutions: Twilio's Smart Encoding, an opt-in setting
//     of a Messaging Service (smsinbox sends from a number, not through one),
//     would turn ’ into ' before counting; smsinbox counts the text as sent;
//   - the escape code itself is no character a person writes: U+001B is
//     outside the tables, as are tab, ç (only Ç is there), á, í, ó, ú and `.
//
// A switch, not a map: the compiler checks that no character is listed
// twice, and there is no package state.
func septets(c rune) int {
	switch c {
	case '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', // 0x00
		'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ' /* 0x1B escape */, 'Æ', 'æ', 'ß', 'É', // 0x10
		' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', // 0x20
		'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', // 0x30
		'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x40
		'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', // 0x50
		'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x60
		'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à': // 0x70
		return 1
	case '\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€': // 0x1B then 0x0A 0x14 0x28 0x29 0x2F 0x3C 0x3D 0x3E 0x40 0x65
		return 2
	}
	return 0
}
