package quiethours

import (
	"strconv"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// TestZonesLoad: every zone that stands for the United States (row 8), and
// every zone libphonenumber names for a calling code (row 9), loads; a zone
// that did not would be read as unknown.
func TestZonesLoad(t *testing.T) {
	if _, ok := load(usZones); !ok {
		t.Fatalf("the US zones do not all load: %v", usZones)
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		names, err := phonenumbers.GetTimezonesForPrefix(strconv.Itoa(cc))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if name == phonenumbers.UNKNOWN_TIMEZONE {
				continue
			}
			if _, err := time.LoadLocation(name); err != nil {
				t.Errorf("+%d: %v", cc, err)
			}
		}
	}
}
