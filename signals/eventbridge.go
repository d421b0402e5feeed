package signals

import "strings"

// AWS services also deliver their events through Amazon EventBridge,
// which wraps the service's own document in an envelope:
//
//	{"version": "0", "id": "…", "detail-type": "GuardDuty Finding",
//	 "source": "aws.guardduty", "time": "…", "detail": {the finding}}
//
// The envelope adds nothing a policy needs, and its id differs from the
// finding's, so the AWS decoders read the detail, whichever way the
// document came. The dedup key then stays the same for a finding
// delivered both ways.

// awsDetail returns the document inside an EventBridge envelope from an
// AWS service, or doc itself when it is not such an envelope.
func awsDetail(doc map[string]any) map[string]any {
	if str(doc, "detail-type") == "" ||
		!strings.HasPrefix(str(doc, "source"), "aws.") {
		return doc
	}
	if detail := obj(doc, "detail"); detail != nil {
		return detail
	}
	return doc
}
