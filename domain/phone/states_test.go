package phone

import "testing"

// TestUSState: every way libphonenumber's English geocoding describes a US
// area reads as its state, and nothing else does.
func TestUSState(t *testing.T) {
	tests := []struct{ geo, want string }{
		{"Florida", "FL"},
		{"Texas", "TX"},
		{"Washington State", "WA"},
		{"Washington D.C.", "DC"},
		{"San Francisco, CA", "CA"},
		{"New York, NY", "NY"},
		{"Kansas City, MO", "MO"},
		{"United States", ""},     // toll-free and other non-geographic codes
		{"British Columbia", ""},  // Canada
		{"Vancouver, BC", ""},     // Canada
		{"Paris, Texas, USA", ""}, // not a form the metadata uses
		{"Somewhere, fl", ""},     // codes are upper case
		{"", ""},
	}
	for _, tt := range tests {
		if got := usState(tt.geo); got != tt.want {
			t.Errorf("usState(%q) = %q, want %q", tt.geo, got, tt.want)
		}
	}
	if len(stateCodes) != 51 {
		t.Fatalf("%d state codes, want the 50 states and DC", len(stateCodes))
	}
}
