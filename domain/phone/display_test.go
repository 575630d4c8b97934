package phone

import "testing"

func TestDisplay(t *testing.T) {
	for _, tc := range []struct {
		n       Number
		country string
		want    string
	}{
		{"+12025550187", "US", "(202) 555-0187"},
		{"+12025550187", "us", "(202) 555-0187"},
		{"+14165550123", "US", "(416) 555-0123"}, // Canada shares +1
		{"+442079460958", "GB", "020 7946 0958"},
		{"+442079460958", "US", "+44 20 7946 0958"},
		{"+12025550187", "GB", "+1 202-555-0187"},
		{"+12025550187", "", "+1 202-555-0187"},  // no country: international
		{"+15555550100", "US", "(555) 555-0100"}, // possible, not valid: still formatted
		{"not a number", "US", "not a number"},
	} {
		if got := tc.n.Display(tc.country); got != tc.want {
			t.Errorf("%s in %q: %q, want %q", tc.n, tc.country, got, tc.want)
		}
	}
}
