// Package twilio is everything smsinbox needs from Twilio, and nothing more:
//
//   - webhooks: ParseInbound and ParseStatus read the form Twilio posts to
//     /webhooks/twilio/sms and /webhooks/twilio/status; a Verifier checks the
//     X-Twilio-Signature header over every parameter received;
//   - simulation: Sign, NewInboundParams and PostInbound post a signed inbound
//     webhook as Twilio would (`smsinbox simulate inbound`);
//   - outbound texts: a Sender, either RESTSender (Twilio's Messages resource,
//     and no other) or SandboxSender (nothing leaves the machine).
//
// Package twiliofake provides an in-process fake of the Messages resource for
// tests.
//
// The package does no HTTP routing and keeps no global state; it never retries
// a send (callers guarantee at-most-once sending through their own records).
package twilio
