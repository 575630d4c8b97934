// Package audit holds the queries that answer for a company's consent:
// one customer's whole consent history with the verdict on its hash chain,
// and the company's consent evidence for the carrier. They are queries, not
// commands: they change nothing. Unlike the read models (projections), they
// replay the event store itself, so that what they show is what was
// recorded, not what a projector made of it.
package audit
