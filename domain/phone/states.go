package phone

// stateByName maps the names libphonenumber's English geocoding gives US area
// codes to the USPS codes of the 50 states and the District of Columbia.
// "Washington State" and "Washington D.C." are its spellings; the plain and
// official names are kept too.
var stateByName = map[string]string{
	"Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
	"Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA",
	"Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA",
	"Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
	"Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO",
	"Montana": "MT", "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH", "New Jersey": "NJ",
	"New Mexico": "NM", "New York": "NY", "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH",
	"Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC",
	"South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
	"Virginia": "VA", "Washington": "WA", "Washington State": "WA", "West Virginia": "WV", "Wisconsin": "WI",
	"Wyoming": "WY",

	"Washington D.C.": "DC", "Washington, D.C.": "DC", "District of Columbia": "DC",
}

// stateCodes is the set of USPS codes in stateByName: the "ST" of a
// "City, ST" description.
var stateCodes = func() map[string]bool {
	codes := make(map[string]bool, len(stateByName))
	for _, code := range stateByName {
		codes[code] = true
	}
	return codes
}()
