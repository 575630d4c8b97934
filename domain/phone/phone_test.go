package phone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/domain/phone"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, input, region string
		want                phone.Number
	}{
		{"E.164", "+12025550123", "", "+12025550123"},
		{"E.164 with any region", "+12025550123", "GB", "+12025550123"},
		{"international with spaces", "+1 202 555 0123", "", "+12025550123"},
		{"international with dashes", "+1-202-555-0123", "", "+12025550123"},
		{"international with parentheses", "+1 (202) 555-0123", "", "+12025550123"},
		{"US national, empty region defaults to US", "2025550123", "", "+12025550123"},
		{"US national, parentheses and dash", "(202) 555-0123", "US", "+12025550123"},
		{"US national, dots", "202.555.0123", "US", "+12025550123"},
		{"US national, slash", "202/555-0123", "US", "+12025550123"},
		{"US with trunk 1", "1 (202) 555-0123", "US", "+12025550123"},
		{"US with trunk 1 and dashes", "1-202-555-0123", "US", "+12025550123"},
		{"region is case-insensitive", "202 555 0123", "us", "+12025550123"},
		{"region with spaces", "202 555 0123", " US ", "+12025550123"},
		{"surrounding white space", "  \t+1 202 555 0123\n", "", "+12025550123"},
		{"US toll-free", "(800) 555-0199", "US", "+18005550199"},
		{"US from 011 prefix", "011 44 20 7946 0958", "US", "+442079460958"},
		{"GB landline national", "020 7946 0958", "GB", "+442079460958"},
		{"GB mobile national", "07911 123456", "GB", "+447911123456"},
		{"GB mobile international", "+44 7911 123456", "", "+447911123456"},
		{"GB mobile with (0)", "+44 (0)7911 123456", "", "+447911123456"},
		{"GB from 00 prefix", "0044 7911 123456", "GB", "+447911123456"},
		{"GB number read in US region needs +", "+44 20 7946 0958", "US", "+442079460958"},
		{"US number in GB region", "+1 (212) 555-0100", "GB", "+12125550100"},
		{"DE national", "030 123456", "DE", "+4930123456"},
		{"FR international", "+33 1 23 45 67 89", "", "+33123456789"},
		{"AU international", "+61 2 9374 4000", "", "+61293744000"},
		{"full-width digits", "+1２０２５５５０１２３", "", "+12025550123"},
		// Possible, not valid: accepted (Twilio routed it; hiding it is worse).
		{"unassigned US area code 555", "+1 555 123 4567", "", "+15551234567"},
		{"unassigned US area code 555, national", "(555) 123-0001", "US", "+15551230001"},
		{"GB drama number", "07700 900123", "GB", "+447700900123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := phone.Parse(tt.input, tt.region)
			if err != nil {
				t.Fatalf("Parse(%q, %q) error %v", tt.input, tt.region, err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q, %q) = %q, want %q", tt.input, tt.region, got, tt.want)
			}
			again, err := phone.Parse(string(got), "")
			if err != nil || again != got {
				t.Fatalf("re-parse of %q = %q, %v", got, again, err)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name, input, region string
	}{
		{"empty", "", ""},
		{"white space", "   ", ""},
		{"letters", "hello", ""},
		{"vanity letters", "1-800-FLOWERS", "US"},
		{"mixed garbage", "call me at 202 555 0123", "US"},
		{"tel URI", "tel:+12025550123", ""},
		{"extension", "202-555-0123 ext 5", "US"},
		{"extension x", "2025550123x5", "US"},
		{"plus only", "+", ""},
		{"country code only", "+1", ""},
		{"plus in the middle", "1+2025550123", ""},
		{"double plus", "++12025550123", ""},
		{"symbols", "+1 202 555 0123 #", ""},
		{"too short", "+1 202 555 012", ""},
		{"too short national", "555-0123", "US"},
		{"short code", "911", "US"},
		{"too long", "+1 202 555 01234", ""},
		{"way too long", "+" + strings.Repeat("1", 40), ""},
		{"over the input limit", strings.Repeat("2", 100), ""},
		{"US number without its area code", "555 0123", "US"},
		{"US area code 555, one digit short", "+1 555 123 000", ""},
		{"unassigned country code", "+999 1234 5678", ""},
		{"GB national in US region", "020 7946 0958", "US"},
		{"national with unknown region", "2025550123", "ZZ"},
		{"national with bad region", "2025550123", "USA"},
		{"invalid UTF-8", "+1202\xff5550123", ""},
		{"punctuation only", "()-./", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := phone.Parse(tt.input, tt.region)
			if err == nil {
				t.Fatalf("Parse(%q, %q) = %q, want an error", tt.input, tt.region, got)
			}
			if !errors.Is(err, phone.ErrInvalid) {
				t.Fatalf("Parse(%q, %q) error %v does not match ErrInvalid", tt.input, tt.region, err)
			}
			if got != "" {
				t.Fatalf("Parse(%q, %q) returned %q with its error", tt.input, tt.region, got)
			}
		})
	}
}

func TestMustParse(t *testing.T) {
	if got := phone.MustParse("(202) 555-0123", ""); got != "+12025550123" {
		t.Fatalf("MustParse = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustParse of garbage did not panic")
		}
	}()
	phone.MustParse("garbage", "")
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"+12025550123", "(202) 555-0123", "020 7946 0958", "+44 7911 123456", "garbage", "", "+", "0044 7911 123456"} {
		f.Add(s, "US")
		f.Add(s, "GB")
	}
	f.Fuzz(func(t *testing.T, input, region string) {
		n, err := phone.Parse(input, region)
		if err != nil {
			if !errors.Is(err, phone.ErrInvalid) {
				t.Fatalf("Parse(%q, %q) error %v does not match ErrInvalid", input, region, err)
			}
			return
		}
		s := string(n)
		if len(s) < 2 || s[0] != '+' {
			t.Fatalf("Parse(%q, %q) = %q, not E.164", input, region, s)
		}
		for _, r := range s[1:] {
			if r < '0' || r > '9' {
				t.Fatalf("Parse(%q, %q) = %q, not E.164", input, region, s)
			}
		}
		if len(s) > 16 {
			t.Fatalf("Parse(%q, %q) = %q, longer than E.164 allows", input, region, s)
		}
		for _, r := range []string{"", "US", "GB", region} {
			again, err := phone.Parse(s, r)
			if err != nil || again != n {
				t.Fatalf("re-parse of %q in %q = %q, %v", s, r, again, err)
			}
		}
	})
}
