package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/domain/segments"
)

// routeSegments adds the composer's segment counter. Like every Messages
// endpoint it honours X-Min-Position: the guard reads the company's settings
// (Messages on or off) from the directory.
func (a *api) routeSegments(api *mux.Router) {
	api.HandleFunc("/messages/segments", a.waitForPosition(a.messages(readMessages, a.countSegments))).Methods(http.MethodPost)
}

// countSegmentsRequest is the body of POST /api/messages/segments (a send's
// body, but only its text: what else a send may take is no text to count).
type countSegmentsRequest struct {
	Body *string `json:"body"`
}

// segmentCount is what a text costs as SMS (segments.Result).
type segmentCount struct {
	Encoding   segments.Encoding `json:"encoding"`
	Characters int               `json:"characters"`
	Segments   int               `json:"segments"`
	// UCS2Character is the first character outside GSM-7, which made the
	// text UCS-2; null for a GSM-7 text.
	UCS2Character *string `json:"ucs2_character"`
}

// countSegments answers how Twilio would encode a text and into how many
// segments it splits, for any Messages role: it reads and records nothing.
// It takes what a send takes (checkText): a text that could not be sent has
// no cost to show.
func (a *api) countSegments(w http.ResponseWriter, r *http.Request, _ caller) {
	var body countSegmentsRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := checkText(body.Body); err != nil {
		a.fail(w, r, err)
		return
	}
	c := segments.Count(*body.Body)
	answer := segmentCount{Encoding: c.Encoding, Characters: c.Characters, Segments: c.Segments}
	if c.Culprit != "" {
		answer.UCS2Character = &c.Culprit
	}
	writeJSON(w, http.StatusOK, answer)
}
