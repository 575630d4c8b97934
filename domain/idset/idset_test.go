package idset

import "testing"

func TestWithLeavesTheOriginalAlone(t *testing.T) {
	var empty Set
	a := empty.With("SM1")
	b := a.With("SM2")
	c := a.With("SM3")
	cases := []struct {
		set  Set
		id   string
		want bool
	}{
		{empty, "SM1", false},
		{a, "SM1", true}, {a, "SM2", false},
		{b, "SM1", true}, {b, "SM2", true}, {b, "SM3", false},
		{c, "SM3", true}, {c, "SM2", false},
		{a.With(""), "", false},
	}
	for _, tc := range cases {
		if got := tc.set.Has(tc.id); got != tc.want {
			t.Errorf("Has(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
