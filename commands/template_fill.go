package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/template"
)

// FillTemplate makes the text of a staff reply from template id of the
// company to customer: the template as its stream holds it now, the names of
// the customer's lead (its stream) and the company's name (the company's
// stream), never a read model that may lag. A template the company does not
// have (another company's included) matches template.ErrTemplateNotFound; a
// placeholder without a value, template.ErrValueMissing.
func FillTemplate(ctx context.Context, store eventstore.Store, companyID string, id uuid.UUID, customer phone.Number) (string, error) {
	catalogue, _, _, err := Load(ctx, store, templateDecider, template.StreamID(companyID))
	if err != nil {
		return "", err
	}
	t, ok := catalogue.Template(id)
	if !ok {
		return "", &template.Error{Err: template.ErrTemplateNotFound, Message: "There is no such template."}
	}
	co, err := LoadCompany(ctx, store, companyID)
	if err != nil {
		return "", err
	}
	l, _, _, err := Load(ctx, store, leadDecider, lead.StreamID(companyID, customer))
	if err != nil {
		return "", err
	}
	values := template.Values{CompanyName: co.Name}
	if l.Exists {
		values.FirstName, values.LastName = l.FirstName, l.LastName
	}
	return template.Fill(t.Body, values)
}
