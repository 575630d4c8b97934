package httpapi

import "testing"

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "hello": "hello", "=1+2": "'=1+2", "+1": "'+1", "-1": "'-1", "@x": "'@x",
		"\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b", "'=x": "'=x",
	} {
		if got := neutralise(in); got != want {
			t.Errorf("neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStatusWord(t *testing.T) {
	for _, c := range []struct{ dir, status, want string }{
		{"inbound", "received", "received"},
		{"outbound", "queued", "pending"}, {"outbound", "sending", "pending"},
		{"outbound", "sent", "sent"}, {"outbound", "delivered", "sent"},
		{"outbound", "failed", "not sent"}, {"outbound", "undelivered", "not sent"},
	} {
		if got := statusWord(c.dir, c.status); got != c.want {
			t.Errorf("statusWord(%s, %s) = %q, want %q", c.dir, c.status, got, c.want)
		}
	}
}
