package quiethours_test

import (
	"testing"

	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// Row 12 near the end of a leap year after 2037: past the zone file's last
// listed transition, Go's Time.ZoneBounds answers, at 00:00 UTC on 31
// December of such a year (2040 here), an end equal to the instant asked
// about; the search for the next opening must not loop on it.
func TestRow12NextAllowedOverGoZoneBoundsQuirk(t *testing.T) {
	runRows(t,
		row{"New York, 2040-12-15 22:00", send(newYork, local(t, eastern, "2040-12-15 22:00")),
			refusedUntil(local(t, eastern, "2040-12-16 08:00"))},
		row{"Florida, a company window no day allows, 35 days over 2040-12-31", quiethours.Input{
			Recipient: florida, At: local(t, eastern, "2040-12-15 12:00"), CompanyWindow: companyWindow(t, "20:00", "23:00"),
		}, never},
	)
}
