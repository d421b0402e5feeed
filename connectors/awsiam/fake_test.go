package awsiam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"

// fakeIAM reproduces IAM's Query API for access keys: form-encoded POSTs
// signed with SigV4 (checked against the test credentials), XML answers
// in IAM's namespace, NoSuchEntity as a 404 ErrorResponse, and
// ListAccessKeys paged with IsTruncated and Marker.
type fakeIAM struct {
	creds   aws.Credentials
	perPage int
	mu      sync.Mutex
	users   map[string][]*fakeKey
	changes int
}

type fakeKey struct {
	id, status string
	created    time.Time
	lastUsed   time.Time
}

func newFakeIAM(creds aws.Credentials) *fakeIAM {
	return &fakeIAM{creds: creds, perPage: 100, users: map[string][]*fakeKey{}}
}

func (f *fakeIAM) addKey(user, id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now().UTC().Truncate(time.Second)
	f.users[user] = append(f.users[user], &fakeKey{id: id, status: status,
		created: now.Add(-400 * 24 * time.Hour), lastUsed: now.Add(-time.Hour)})
}

func (f *fakeIAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := f.checkSignature(r, body); err != nil {
		iamError(w, http.StatusForbidden, "SignatureDoesNotMatch", err.Error())
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Version") != "2010-05-08" {
		iamError(w, http.StatusBadRequest, "MalformedQueryString", "bad form")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch form.Get("Action") {
	case "ListAccessKeys":
		f.list(w, form)
	case "GetAccessKeyLastUsed":
		f.lastUsed(w, form.Get("AccessKeyId"))
	case "UpdateAccessKey":
		f.update(w, form)
	case "DeleteAccessKey":
		f.delete(w, form)
	default:
		iamError(w, http.StatusBadRequest, "InvalidAction", "unknown action")
	}
}

// checkSignature recomputes the SigV4 signature over the headers the
// client signed, with the test credentials.
func (f *fakeIAM) checkSignature(r *http.Request, body []byte) error {
	auth := r.Header.Get("Authorization")
	want := "AWS4-HMAC-SHA256 Credential=" + f.creds.AccessKeyID + "/"
	if !strings.HasPrefix(auth, want) || !strings.Contains(auth, "/us-east-1/iam/aws4_request") {
		return fmt.Errorf("not signed for iam in us-east-1 with the test key")
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Errorf("no X-Amz-Date")
	}
	re, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	signed := between(auth, "SignedHeaders=", ",")
	for _, h := range strings.Split(signed, ";") {
		if h != "host" && h != "content-length" {
			re.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	re.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	creds := f.creds
	creds.SessionToken = r.Header.Get("X-Amz-Security-Token")
	err = v4.NewSigner().SignHTTP(context.Background(), creds, re,
		hex.EncodeToString(sum[:]), "iam", "us-east-1", at)
	if err != nil || between(re.Header.Get("Authorization"), "Signature=", ",") !=
		between(auth, "Signature=", ",") {
		return fmt.Errorf("signature does not match")
	}
	return nil
}

func between(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(rest, end)
	return v
}

func (f *fakeIAM) list(w http.ResponseWriter, form url.Values) {
	keys, ok := f.users[form.Get("UserName")]
	if !ok {
		iamError(w, http.StatusNotFound, "NoSuchEntity", "The user with name "+
			form.Get("UserName")+" cannot be found.")
		return
	}
	start := 0
	fmt.Sscan(form.Get("Marker"), &start)
	end := min(start+f.perPage, len(keys))
	var b strings.Builder
	for _, k := range keys[start:end] {
		fmt.Fprintf(&b, "<member><UserName>%s</UserName><AccessKeyId>%s</AccessKeyId>"+
			"<Status>%s</Status><CreateDate>%s</CreateDate></member>",
			form.Get("UserName"), k.id, k.status, k.created.Format(time.RFC3339))
	}
	more := ""
	if end < len(keys) {
		more = fmt.Sprintf("<Marker>%d</Marker>", end)
	}
	writeXML(w, "ListAccessKeys", fmt.Sprintf("<AccessKeyMetadata>%s</AccessKeyMetadata>"+
		"<IsTruncated>%v</IsTruncated>%s", b.String(), more != "", more))
}

func (f *fakeIAM) lastUsed(w http.ResponseWriter, id string) {
	for user, keys := range f.users {
		for _, k := range keys {
			if k.id == id {
				writeXML(w, "GetAccessKeyLastUsed", fmt.Sprintf(
					"<UserName>%s</UserName><AccessKeyLastUsed><LastUsedDate>%s"+
						"</LastUsedDate><ServiceName>s3</ServiceName><Region>us-east-1"+
						"</Region></AccessKeyLastUsed>", user,
					k.lastUsed.Format(time.RFC3339)))
				return
			}
		}
	}
	writeXML(w, "GetAccessKeyLastUsed", "<AccessKeyLastUsed><ServiceName>N/A"+
		"</ServiceName><Region>N/A</Region></AccessKeyLastUsed>")
}

// key finds a user's key, answering NoSuchEntity when there is none.
func (f *fakeIAM) key(w http.ResponseWriter, form url.Values) (int, bool) {
	for i, k := range f.users[form.Get("UserName")] {
		if k.id == form.Get("AccessKeyId") {
			return i, true
		}
	}
	iamError(w, http.StatusNotFound, "NoSuchEntity", "The Access Key with id "+
		form.Get("AccessKeyId")+" cannot be found.")
	return 0, false
}

func (f *fakeIAM) update(w http.ResponseWriter, form url.Values) {
	i, ok := f.key(w, form)
	if !ok {
		return
	}
	k := f.users[form.Get("UserName")][i]
	if k.status != form.Get("Status") {
		k.status = form.Get("Status")
		f.changes++
	}
	writeXML(w, "UpdateAccessKey", "")
}

func (f *fakeIAM) delete(w http.ResponseWriter, form url.Values) {
	i, ok := f.key(w, form)
	if !ok {
		return
	}
	user := form.Get("UserName")
	f.users[user] = append(f.users[user][:i], f.users[user][i+1:]...)
	f.changes++
	writeXML(w, "DeleteAccessKey", "")
}

func (f *fakeIAM) effects() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changes
}

func (f *fakeIAM) status(user, id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range f.users[user] {
		if k.id == id {
			return k.status
		}
	}
	return "deleted"
}

// writeXML answers action with its result element (none when empty).
func writeXML(w http.ResponseWriter, action, result string) {
	w.Header().Set("Content-Type", "text/xml")
	res := ""
	if result != "" {
		res = fmt.Sprintf("<%sResult>%s</%sResult>", action, result, action)
	}
	fmt.Fprintf(w, `<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>`+
		`7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></%sResponse>`,
		action, iamNS, res, action)
}

// errorXML is IAM's error envelope.
func errorXML(code, msg string) string {
	typ := "Sender"
	if code == "ServiceFailure" {
		typ = "Receiver"
	}
	return fmt.Sprintf(`<ErrorResponse xmlns="%s"><Error><Type>%s</Type>`+
		`<Code>%s</Code><Message>%s</Message></Error><RequestId>`+
		`4d8f9c2e-0000-4000-8000-00000000beef</RequestId></ErrorResponse>`,
		iamNS, typ, code, msg)
}

func iamError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	io.WriteString(w, errorXML(code, msg))
}
