// Package docs holds the repository's prose (rules.md, decisions/) and the
// tests that keep it honest: the repository must make sense to someone who
// clones it, so nothing in it may point at documents that live elsewhere.
package docs
