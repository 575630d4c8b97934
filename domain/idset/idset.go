// Package idset is an immutable set of identifiers (Twilio message SIDs,
// message IDs) for aggregate states: With returns a new set and leaves the
// old one as it was, so states that share a set never see each other's
// additions and Evolve stays free of side effects. It is a linked list:
// adding costs O(1) (a replay is linear), looking up O(n), done once per
// decision.
package idset

// Set is the zero-value-ready immutable set.
type Set struct {
	head *node
}

type node struct {
	id   string
	next *node
}

// Has reports whether id is in the set.
func (s Set) Has(id string) bool {
	for n := s.head; n != nil; n = n.next {
		if n.id == id {
			return true
		}
	}
	return false
}

// With returns the set with id added; an empty id adds nothing.
func (s Set) With(id string) Set {
	if id == "" {
		return s
	}
	return Set{head: &node{id: id, next: s.head}}
}
