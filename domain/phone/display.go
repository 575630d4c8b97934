package phone

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Display is how a person of country (an ISO 3166-1 region such as "US")
// reads n: the national format for a number of the country's calling code
// ("(202) 555-0187" for +12025550187 in the US, also for a Canadian +1
// number, which is dialled the same way there), the international format
// otherwise ("+44 20 7946 0958"). A number the metadata cannot read is
// shown as it is. Numbers are stored, compared and exported in E.164; this
// is only for showing them.
func (n Number) Display(country string) string {
	num, err := phonenumbers.Parse(string(n), "")
	if err != nil {
		return string(n)
	}
	code := phonenumbers.GetCountryCodeForRegion(strings.ToUpper(country))
	if code != 0 && int(num.GetCountryCode()) == code {
		return phonenumbers.Format(num, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}
